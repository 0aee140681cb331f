import type { ItemResult } from './results';

/** Wilson score interval for k successes of n at 95 % (z = 1.96); [0, 0] for n = 0. */
export function wilsonInterval(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (n === 0) return [0, 0];
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Exact ends when k = 0 or k = n (no floating-point residue).
  return [k === 0 ? 0 : Math.max(0, centre - half), k === n ? 1 : Math.min(1, centre + half)];
}

/** Percentile by linear interpolation between closest ranks (q in [0, 1]); 0 for no values. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? 0;
  return a + (b - a) * (pos - lo);
}

/** How a `--limit` run chose its items (see sampleItems): absent when every item ran. */
export interface SampleRecord {
  limit: number;
  /** Items in the dataset. */
  of: number;
  seed: number;
  /** Items taken / held per level; null when the items have no level. */
  by_level: Record<string, { taken: number; of: number }> | null;
}

export interface SummaryMeta {
  policy: string;
  params: Record<string, unknown>;
  label: string;
  dataset: string;
  /** The checkpoint / model pair, when the run was given one (`--model-label`). */
  model?: string;
  /** Only for a `--limit` run: the sample's provenance. */
  sample?: SampleRecord;
}

export interface EvalSummary extends SummaryMeta {
  n: number;
  correct: number;
  accuracy: number;
  accuracy_ci95: [number, number];
  llm_token_ratio: number;
  slm_tokens: number;
  llm_tokens: number;
  response_tokens: number;
  calls: number;
  calls_per_answer: number;
  llm_prefill_tokens: number | null;
  latency_ms_p50: number;
  latency_ms_p95: number;
  tokens_per_s: number;
  mean_response_tokens: number;
  by_level: Record<string, { n: number; accuracy: number }>;
  finish_reasons: Record<string, number>;
  call_positions: number[];
}

/** Aggregates per-item results (see README "summary.json"). */
export function summarise(results: readonly ItemResult[], meta: SummaryMeta): EvalSummary {
  const n = results.length;
  const sum = (f: (r: ItemResult) => number): number => results.reduce((s, r) => s + f(r), 0);
  const correct = results.filter((r) => r.correct).length;
  const slm = sum((r) => r.usage.slm_tokens);
  const llm = sum((r) => r.usage.llm_tokens);
  const response = sum((r) => r.usage.response_tokens);
  const calls = sum((r) => r.usage.calls);
  const latencySum = sum((r) => r.latency_ms);
  const prefillKnown = results.every((r) => typeof r.llm_prefill_tokens === 'number');
  const byLevel: Record<string, { n: number; correct: number }> = {};
  for (const r of results) {
    if (r['level'] === undefined || r['level'] === null) continue;
    const key = String(r['level']);
    const entry = (byLevel[key] ??= { n: 0, correct: 0 });
    entry.n++;
    if (r.correct) entry.correct++;
  }
  const finishReasons: Record<string, number> = {};
  for (const r of results) finishReasons[r.finish_reason] = (finishReasons[r.finish_reason] ?? 0) + 1;
  const callPositions: number[] = [];
  for (const r of results) {
    const total = r.usage.response_tokens;
    for (const c of r.calls) callPositions.push(total > 0 ? Math.min(1, c.response_token_start / total) : 0);
  }
  return {
    ...meta,
    n,
    correct,
    accuracy: n === 0 ? 0 : correct / n,
    accuracy_ci95: wilsonInterval(correct, n),
    llm_token_ratio: response === 0 ? 0 : llm / response,
    slm_tokens: slm,
    llm_tokens: llm,
    response_tokens: response,
    calls,
    calls_per_answer: n === 0 ? 0 : calls / n,
    llm_prefill_tokens: prefillKnown ? sum((r) => r.llm_prefill_tokens ?? 0) : null,
    latency_ms_p50: percentile(results.map((r) => r.latency_ms), 0.5),
    latency_ms_p95: percentile(results.map((r) => r.latency_ms), 0.95),
    tokens_per_s: latencySum === 0 ? 0 : response / (latencySum / 1000),
    mean_response_tokens: n === 0 ? 0 : response / n,
    by_level: Object.fromEntries(
      Object.entries(byLevel)
        .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
        .map(([k, v]) => [k, { n: v.n, accuracy: v.correct / v.n }]),
    ),
    finish_reasons: finishReasons,
    call_positions: callPositions,
  };
}
