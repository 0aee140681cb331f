import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from '../lib/metrics/types';

/** A valid summary; every field can be overridden. Accuracies are fractions. */
export function makeSummary(overrides: Partial<RunSummary> = {}): RunSummary {
  return {
    policy: 'relay',
    params: {},
    label: 'relay',
    dataset: 'gsm8k',
    n: 1200,
    accuracy: 0.5,
    // Wilson's 95% interval of 600/1200: narrow enough not to be flagged (see metrics/precision.ts).
    accuracy_ci95: [0.4717, 0.5283],
    llm_token_ratio: 0.02,
    slm_tokens: 50000,
    llm_tokens: 1000,
    calls_per_answer: 1.2,
    llm_prefill_tokens: 40000,
    latency_ms_p50: 900,
    latency_ms_p95: 2100,
    tokens_per_s: 55,
    mean_response_tokens: 255,
    by_level: { '1': { n: 100, accuracy: 0.6 }, '2': { n: 100, accuracy: 0.4 } },
    call_positions: [0.1, 0.15, 0.5, 0.9],
    ...overrides,
  };
}

export function writeSummary(dir: string, summary: RunSummary): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
}

/**
 * A small evaluation: SLM and LLM baselines, a 3-point relay budget sweep, an
 * uncertainty router run and a measured random router. One label carries
 * markup characters so that escaping is exercised. Returns the dirs to pass.
 */
export function writeFixtureRuns(root: string): string[] {
  const levels = (a: number, b: number) => ({ '1': { n: 100, accuracy: a }, '2': { n: 100, accuracy: b } });
  writeSummary(join(root, 'slm'), makeSummary({
    policy: 'slm', label: 'Qwen3-1.7B alone', accuracy: 0.425, llm_token_ratio: 0, llm_tokens: 0,
    calls_per_answer: 0, call_positions: [], mean_response_tokens: 250, by_level: levels(0.55, 0.3),
  }));
  writeSummary(join(root, 'llm'), makeSummary({
    policy: 'llm', label: 'Qwen3-8B alone', accuracy: 0.5412, llm_token_ratio: 1, slm_tokens: 0,
    calls_per_answer: 0, call_positions: [], mean_response_tokens: 250, by_level: levels(0.66, 0.42),
  }));
  const sweep = join(root, 'relay-sweep');
  [
    { b: 'b01', acc: 0.47, share: 0.005, pos: [0.1, 0.2] },
    { b: 'b02', acc: 0.4952, share: 0.0107, pos: [0.05, 0.1, 0.6] },
    { b: 'b05', acc: 0.51, share: 0.05, pos: [0.1, 0.3, 0.55, 0.95] },
  ].forEach(({ b, acc, share, pos }) =>
    writeSummary(join(sweep, b), makeSummary({
      policy: 'relay', label: `relay budget ${b}`, params: { budget: b }, accuracy: acc,
      llm_token_ratio: share, call_positions: pos, by_level: levels(acc + 0.1, acc - 0.1),
    })),
  );
  writeSummary(join(root, 'uncertainty'), makeSummary({
    policy: 'uncertainty', label: 'uncertainty <τ=0.3> & more', accuracy: 0.46, llm_token_ratio: 0.2,
    call_positions: [0.5, 0.52], by_level: levels(0.58, 0.34),
  }));
  writeSummary(join(root, 'random'), makeSummary({
    policy: 'random-router', label: 'random router p=0.3', accuracy: 0.46, llm_token_ratio: 0.3,
    call_positions: [], calls_per_answer: 0, by_level: levels(0.58, 0.34),
  }));
  return ['slm', 'llm', 'relay-sweep', 'uncertainty', 'random'].map((d) => join(root, d));
}
