import { parseFault } from './fault-spec';
import { countIdentical, jsonRows, markdownTable, quantile, summarizeRun, type ChaosRow, type GenerationResult, type Outcome } from './report';
import { scheduleFault } from './schedule';

const answer = (text: string, calls = 1): Outcome => ({ text, finishReason: 1, calls });
const ok = (outcome: Outcome, latencyMs = 100): GenerationResult => ({ ok: true, outcome, latencyMs });
const failed = (code: string, reason: string, latencyMs = 2_000, message = `${code} ${reason}`): GenerationResult => ({ ok: false, code, reason, message, latencyMs });

describe('quantile', () => {
  it('nearest rank, whatever the input order; NaN when empty', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(quantile(values, 0.5)).toBe(5);
    expect(quantile(values, 0.95)).toBe(10);
    expect(quantile(values, 0)).toBe(1);
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('summarizeRun', () => {
  it('counts failures by status and reason; latency quantiles only over the successes', () => {
    const summary = summarizeRun(
      [ok(answer('a', 2), 100), failed('UNAVAILABLE', 'LLM_ACK_TIMEOUT'), ok(answer('b', 0), 300), failed('UNAVAILABLE', 'LLM_ACK_TIMEOUT'), failed('DEADLINE_EXCEEDED', '')],
      5_000,
    );
    expect(summary).toEqual({
      ok: 2,
      failed: { 'UNAVAILABLE LLM_ACK_TIMEOUT': 2, DEADLINE_EXCEEDED: 1 },
      failures: [
        { index: 1, key: 'UNAVAILABLE LLM_ACK_TIMEOUT', message: 'UNAVAILABLE LLM_ACK_TIMEOUT', latencyMs: 2_000 },
        { index: 3, key: 'UNAVAILABLE LLM_ACK_TIMEOUT', message: 'UNAVAILABLE LLM_ACK_TIMEOUT', latencyMs: 2_000 },
        { index: 4, key: 'DEADLINE_EXCEEDED', message: 'DEADLINE_EXCEEDED ', latencyMs: 2_000 },
      ],
      p50Ms: 100,
      p95Ms: 300,
      p99Ms: 300,
      wallMs: 5_000,
      llmCalls: 2,
    });
  });
});

describe('countIdentical', () => {
  it('counts positions where both succeeded with the same text, finish reason and LLM calls', () => {
    const baseline = [ok(answer('a')), ok(answer('b')), ok(answer('c')), ok(answer('d')), failed('UNAVAILABLE', 'X'), ok(answer('f'))];
    const faulted = [
      ok(answer('a')), // same
      ok(answer('B')), // other text
      ok({ ...answer('c'), finishReason: 2 }), // other finish reason
      ok(answer('d', 3)), // other number of LLM calls
      ok(answer('e')), // the baseline failed here: nothing to compare with
      failed('UNAVAILABLE', 'LLM_ACK_TIMEOUT'),
    ];
    expect(countIdentical(baseline, faulted)).toBe(1);
    expect(countIdentical(baseline, baseline)).toBe(5);
  });
});

function row(overrides: Partial<ChaosRow> = {}): ChaosRow {
  return {
    schedule: scheduleFault(parseFault('nats-kill-3s'), 1, { llm: 3, slm: 2 }),
    generations: 4,
    baseline: summarizeRun([ok(answer('a'), 200), ok(answer('b'), 400), ok(answer('c'), 600), ok(answer('d'), 800)], 1_000),
    faulted: summarizeRun(
      [ok(answer('a'), 300), failed('UNAVAILABLE', 'LLM_ACK_TIMEOUT', 2_000, 'no ack (LLM_ACK_TIMEOUT)'), ok(answer('c'), 5_300), failed('RESOURCE_EXHAUSTED', 'ADMISSION_WAIT_EXPIRED')],
      6_000,
    ),
    identical: 2,
    struckAtMs: 1_234,
    orchestratorPeakRssMiB: 150.4,
    ...overrides,
  };
}

describe('markdownTable', () => {
  it('one row per fault: failures by status and reason, identical count, baseline → fault latencies', () => {
    const lines = markdownTable([row()]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\| fault \| struck at \| ok \| failed \(gRPC status reason\) \| identical to baseline \| p50 s \(baseline → fault\) \| p95 s \| p99 s \|/);
    expect(lines[2]).toBe(
      '| `nats-kill-3s`: NATS killed (-9) 3 s, restarted | 1.2 s | 2/4 | 1 RESOURCE_EXHAUSTED ADMISSION_WAIT_EXPIRED<br>1 UNAVAILABLE LLM_ACK_TIMEOUT | 2/4 | 0.40 → 0.30 | 0.80 → 5.30 | 0.80 → 5.30 | 150 |',
    );
  });

  it('says when the fault never struck, when the baseline itself failed, and escapes |', () => {
    const baseline = summarizeRun([ok(answer('a')), failed('UNAVAILABLE', 'A|B')], 1_000);
    const line = markdownTable([row({ struckAtMs: undefined, baseline, orchestratorPeakRssMiB: undefined })]).split('\n')[2];
    expect(line).toContain('not struck (run ended first)');
    expect(line).toContain('(baseline failed: 1 UNAVAILABLE A\\|B)');
    expect(line).toMatch(/\| – \|$/);
  });
});

describe('jsonRows', () => {
  it('one object per fault with the issue\'s keys, and the baseline\'s figures', () => {
    const [json] = jsonRows([row()]);
    expect(json).toMatchObject({
      fault: 'nats-kill-3s',
      generations: 4,
      ok: 2,
      failed: { 'UNAVAILABLE LLM_ACK_TIMEOUT': 1, 'RESOURCE_EXHAUSTED ADMISSION_WAIT_EXPIRED': 1 },
      failures: [
        { index: 1, failure: 'UNAVAILABLE LLM_ACK_TIMEOUT', message: 'no ack (LLM_ACK_TIMEOUT)', latency_ms: 2_000 },
        { index: 3, failure: 'RESOURCE_EXHAUSTED ADMISSION_WAIT_EXPIRED', message: 'RESOURCE_EXHAUSTED ADMISSION_WAIT_EXPIRED', latency_ms: 2_000 },
      ],
      identical: 2,
      p50_ms: 300,
      p99_ms: 5_300,
      struck_at_ms: 1_234,
      fault_duration_ms: 3_000,
      orchestrator_peak_rss_mib: 150,
      baseline: { ok: 4, failed: {}, failures: [], p50_ms: 400, p95_ms: 800, wall_ms: 1_000, llm_calls: 4 },
    });
  });

  it('null, not NaN, for a quantile without successes', () => {
    const faulted = summarizeRun([failed('UNAVAILABLE', 'X')], 10);
    expect(jsonRows([row({ faulted, struckAtMs: undefined })])[0]).toMatchObject({ ok: 0, p50_ms: null, struck_at_ms: null });
  });
});
