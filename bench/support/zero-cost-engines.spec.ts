import { runRelay, SystemClock, REFERENCE_PAIR_PROFILE } from '@relayllm/relay-core';
import { HandoffMarks } from './handoff-marks';
import { quantile } from './stats';
import { ZeroCostLlmEngine, ZeroCostSlmEngine } from './zero-cost-engines.fake';

describe('zero-cost engines', () => {
  it('relay: the SLM calls `calls` times (turn read from its context), the LLM writes each granted n', async () => {
    const slm = new ZeroCostSlmEngine({ gap: 3, n: 12, calls: 2, tail: 2 });
    const llm = new ZeroCostLlmEngine();
    const seen: number[] = [];
    llm.onGenerate = (request) => seen.push(request.maxTokens);
    const events = [];
    for await (const event of runRelay({ slm, llm, clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE }, { generationId: 'z', prompt: 'Q\n', maxTokens: 200 }, new AbortController().signal)) events.push(event);
    const completed = events[events.length - 1];
    expect(completed).toMatchObject({ type: 'completed', finishReason: 'eos', text: `aaa${'x'.repeat(12)}aaa${'x'.repeat(12)}aa` });
    // Per call: 3 filler + <call> + "12" + </call> = 7 SLM tokens; then 2; EOS not counted.
    expect(completed).toMatchObject({ usage: { calls: 2, slmTokens: 16, llmTokens: 24 } });
    expect(seen).toEqual([12, 12]);
  });
});

describe('bench helpers', () => {
  it('quantile: nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect([quantile(values, 0.5), quantile(values, 0.99), quantile(values, 1)]).toEqual([50, 99, 100]);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('HandoffMarks keeps only handoffs with every mark, the first time each is seen', () => {
    const marks = new HandoffMarks();
    marks.mark('slmResumed'); // before any call: ignored
    marks.mark('callSeen');
    marks.mark('routed');
    marks.mark('slmResumed'); // incomplete: dropped
    marks.mark('callSeen');
    for (const name of ['routed', 'workerReceived', 'engineStart', 'firstLlmToken', 'firstLlmToken', 'slmResumed'] as const) marks.mark(name);
    expect(marks.records).toHaveLength(1);
    const [r] = marks.records;
    expect(r !== undefined && r.callSeen <= r.routed && r.routed <= r.slmResumed).toBe(true);
  });
});
