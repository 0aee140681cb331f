import { itemUniform, routeToLlm } from './random';
import type { ItemResult } from './results';
import { percentile, summarise, wilsonInterval } from './summary';

function result(index: number, over: Partial<ItemResult> & { slm: number; llm: number }): ItemResult {
  const { slm, llm, ...rest } = over;
  return {
    index,
    question: `q${index}`,
    answer: '1',
    gold: '1',
    text: '',
    predicted: '',
    correct: false,
    finish_reason: 'eos',
    usage: {
      slm_tokens: slm,
      llm_tokens: llm,
      response_tokens: slm + llm,
      calls: 0,
      llm_token_ratio: slm + llm === 0 ? 0 : llm / (slm + llm),
      malformed_commands: 0,
      no_call_commands: 0,
    },
    calls: [],
    latency_ms: 100,
    llm_prefill_tokens: 0,
    routed: 'RELAY',
    ...rest,
  };
}

describe('wilsonInterval', () => {
  it('matches reference values', () => {
    const [lo, hi] = wilsonInterval(8, 10);
    expect(lo).toBeCloseTo(0.4902, 4);
    expect(hi).toBeCloseTo(0.9433, 4);
    const [lo2, hi2] = wilsonInterval(50, 100);
    expect(lo2).toBeCloseTo(0.4038, 4);
    expect(hi2).toBeCloseTo(0.5962, 4);
  });

  it('is exact at the ends and [0, 0] for n = 0', () => {
    expect(wilsonInterval(0, 3)[0]).toBe(0);
    expect(wilsonInterval(3, 3)[1]).toBe(1);
    expect(wilsonInterval(0, 0)).toEqual([0, 0]);
  });
});

describe('percentile', () => {
  it('interpolates between ranks', () => {
    expect(percentile([10, 20, 30, 40], 0.5)).toBe(25);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], 0.95)).toBe(20);
    expect(percentile([], 0.5)).toBe(0);
    expect(percentile([7], 0.95)).toBe(7);
  });
});

describe('summarise', () => {
  const calls = (starts: number[]) =>
    starts.map((s) => ({ requested_n: 2, granted_n: 2, tokens_written: 2, response_token_start: s, response_token_end: s + 2 }));
  const results = [
    result(0, { slm: 8, llm: 2, correct: true, level: 1, calls: calls([5]), latency_ms: 100, llm_prefill_tokens: 12 }),
    result(1, { slm: 30, llm: 0, correct: false, level: 2, latency_ms: 300, llm_prefill_tokens: 0 }),
    result(2, { slm: 0, llm: 20, correct: true, level: 2, calls: calls([0, 10]), latency_ms: 200, llm_prefill_tokens: 7 }),
    result(3, { slm: 10, llm: 0, correct: true, latency_ms: 400, finish_reason: 'length', llm_prefill_tokens: 1 }),
  ].map((r) => ({ ...r, usage: { ...r.usage, calls: r.calls.length } }));
  const summary = summarise(results, { policy: 'relay', params: {}, label: 'relay', dataset: 'd.jsonl' });

  it('pools ρ over tokens (not a mean of per-item ratios) and sums the counts', () => {
    expect(summary.slm_tokens).toBe(48);
    expect(summary.llm_tokens).toBe(22);
    expect(summary.llm_token_ratio).toBeCloseTo(22 / 70, 12);
    expect(summary.mean_response_tokens).toBe(17.5);
    expect(summary.calls_per_answer).toBe(0.75);
    expect(summary.llm_prefill_tokens).toBe(20);
  });

  it('accuracy with its Wilson interval, and by level (items without a level are left out of by_level)', () => {
    expect(summary.n).toBe(4);
    expect(summary.accuracy).toBe(0.75);
    expect(summary.accuracy_ci95).toEqual(wilsonInterval(3, 4));
    expect(summary.by_level).toEqual({ '1': { n: 1, accuracy: 1 }, '2': { n: 2, accuracy: 0.5 } });
  });

  it('latency percentiles, tokens/s over generation time, call positions relative to each answer', () => {
    expect(summary.latency_ms_p50).toBe(250);
    expect(summary.latency_ms_p95).toBeCloseTo(385, 9);
    expect(summary.tokens_per_s).toBeCloseTo(70 / 1.0, 9);
    expect(summary.call_positions).toEqual([0.5, 0, 0.5]);
    expect(summary.finish_reasons).toEqual({ eos: 3, length: 1 });
  });

  it('llm_prefill_tokens is null when any item could not measure it (--target)', () => {
    const s = summarise([{ ...results[0], llm_prefill_tokens: null } as ItemResult], {
      policy: 'relay',
      params: {},
      label: 'relay',
      dataset: 'd',
    });
    expect(s.llm_prefill_tokens).toBeNull();
  });
});

describe('random-router draws', () => {
  it('depend only on (seed, index): same seed, same routes, whatever the order', () => {
    const forward = Array.from({ length: 200 }, (_, i) => routeToLlm(0.3, 7, i));
    const backward = Array.from({ length: 200 }, (_, i) => 199 - i)
      .map((i) => routeToLlm(0.3, 7, i))
      .reverse();
    expect(backward).toEqual(forward);
    const other = Array.from({ length: 200 }, (_, i) => routeToLlm(0.3, 8, i));
    expect(other).not.toEqual(forward);
  });

  it('route about p of the items to the LLM; p = 0 and p = 1 are exact', () => {
    const n = 5000;
    const share = (p: number): number => Array.from({ length: n }, (_, i) => routeToLlm(p, 1, i)).filter(Boolean).length / n;
    expect(share(0.3)).toBeGreaterThan(0.27);
    expect(share(0.3)).toBeLessThan(0.33);
    expect(share(0)).toBe(0);
    expect(share(1)).toBe(1);
    for (let i = 0; i < 100; i++) expect(itemUniform(3, i)).toBeLessThan(1);
  });
});
