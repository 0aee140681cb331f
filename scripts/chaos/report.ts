/**
 * What a chaos run measured, as one row per fault (pure): generations ok,
 * failures by gRPC status and reason, outputs identical to the fault-free
 * run, latency quantiles against it; printed as Markdown or JSON.
 */
import { describeFault } from './fault-spec';
import type { FaultSchedule } from './schedule';

/** What must match between the two runs: the answer, why it ended (wire enum) and the LLM calls made. */
export interface Outcome {
  readonly text: string;
  readonly finishReason: number;
  readonly calls: number;
}

export type GenerationResult =
  | { readonly ok: true; readonly outcome: Outcome; readonly latencyMs: number }
  /** `code`: the gRPC status name; `reason`: the relayllm-error-reason trailer ('' when none came); `message`: the status details (which path failed it). */
  | { readonly ok: false; readonly code: string; readonly reason: string; readonly message: string; readonly latencyMs: number };

/** One failed generation: its position in the load, `"<STATUS> <REASON>"`, the server's message. */
export interface FailureDetail {
  readonly index: number;
  readonly key: string;
  readonly message: string;
  readonly latencyMs: number;
}

export interface RunSummary {
  readonly ok: number;
  /** `"<STATUS> <REASON>"` (or the status alone) → count. */
  readonly failed: Readonly<Record<string, number>>;
  /** Each failure with its message: the reason alone does not say which path raised it. */
  readonly failures: readonly FailureDetail[];
  /** Latency of the successful generations. */
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly wallMs: number;
  /** LLM calls of the successful generations (shows the LLM path was exercised). */
  readonly llmCalls: number;
}

export interface ChaosRow {
  readonly schedule: FaultSchedule;
  readonly generations: number;
  readonly baseline: RunSummary;
  readonly faulted: RunSummary;
  /** Faulted generations whose outcome equals the baseline's for the same prompt. */
  readonly identical: number;
  /** When the fault struck, ms into the faulted run; undefined when that run ended first. */
  readonly struckAtMs: number | undefined;
  /** Peak resident memory of the orchestrator over both runs (MiB), when it could be read. */
  readonly orchestratorPeakRssMiB: number | undefined;
}

/** The q-quantile (0..1) by the nearest-rank method; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function failureKey(code: string, reason: string): string {
  return reason === '' ? code : `${code} ${reason}`;
}

export function summarizeRun(results: readonly GenerationResult[], wallMs: number): RunSummary {
  const failed: Record<string, number> = {};
  const failures: FailureDetail[] = [];
  const latencies: number[] = [];
  let llmCalls = 0;
  results.forEach((result, index) => {
    if (result.ok) {
      latencies.push(result.latencyMs);
      llmCalls += result.outcome.calls;
      return;
    }
    const key = failureKey(result.code, result.reason);
    failed[key] = (failed[key] ?? 0) + 1;
    failures.push({ index, key, message: result.message, latencyMs: result.latencyMs });
  });
  return { ok: latencies.length, failed, failures, p50Ms: quantile(latencies, 0.5), p95Ms: quantile(latencies, 0.95), p99Ms: quantile(latencies, 0.99), wallMs, llmCalls };
}

const sameOutcome = (a: Outcome, b: Outcome): boolean => a.text === b.text && a.finishReason === b.finishReason && a.calls === b.calls;

/** Positions where both runs succeeded with the same outcome (a failed baseline generation matches nothing). */
export function countIdentical(baseline: readonly GenerationResult[], faulted: readonly GenerationResult[]): number {
  let identical = 0;
  for (let i = 0; i < Math.min(baseline.length, faulted.length); i++) {
    const [a, b] = [baseline[i], faulted[i]];
    if (a.ok && b.ok && sameOutcome(a.outcome, b.outcome)) identical++;
  }
  return identical;
}

const failedTotal = (summary: RunSummary): number => Object.values(summary.failed).reduce((a, b) => a + b, 0);

function failedCell(summary: RunSummary): string {
  const entries = Object.entries(summary.failed).sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb));
  return entries.length === 0 ? '0' : entries.map(([key, count]) => `${count} ${key}`).join('<br>');
}

const seconds = (ms: number): string => (Number.isNaN(ms) ? '–' : `${(ms / 1_000).toFixed(2)}`);
const versus = (base: number, faulted: number): string => `${seconds(base)} → ${seconds(faulted)}`;

function markdownRow(row: ChaosRow): string[] {
  const { baseline, faulted } = row;
  const struck = row.struckAtMs === undefined ? 'not struck (run ended first)' : `${(row.struckAtMs / 1_000).toFixed(1)} s`;
  const baseFailed = failedTotal(baseline) === 0 ? '' : ` (baseline failed: ${failedCell(baseline).replace(/<br>/g, ', ')})`;
  return [
    `\`${row.schedule.fault.name}\`: ${describeFault(row.schedule.fault)}`,
    struck,
    `${faulted.ok}/${row.generations}`,
    failedCell(faulted) + baseFailed,
    `${row.identical}/${row.generations}`,
    versus(baseline.p50Ms, faulted.p50Ms),
    versus(baseline.p95Ms, faulted.p95Ms),
    versus(baseline.p99Ms, faulted.p99Ms),
    row.orchestratorPeakRssMiB === undefined ? '–' : `${Math.round(row.orchestratorPeakRssMiB)}`,
  ];
}

const HEADER = ['fault', 'struck at', 'ok', 'failed (gRPC status reason)', 'identical to baseline', 'p50 s (baseline → fault)', 'p95 s', 'p99 s', 'orchestrator peak RSS MiB'];

/** One Markdown table, one row per fault; `|` in a cell is escaped. */
export function markdownTable(rows: readonly ChaosRow[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map((row) => line(markdownRow(row)))].join('\n');
}

const rounded = (ms: number): number | null => (Number.isNaN(ms) ? null : Math.round(ms));

function jsonRun(summary: RunSummary): Record<string, unknown> {
  const failures = summary.failures.map((f) => ({ index: f.index, failure: f.key, message: f.message, latency_ms: Math.round(f.latencyMs) }));
  return { ok: summary.ok, failed: summary.failed, failures, p50_ms: rounded(summary.p50Ms), p95_ms: rounded(summary.p95Ms), p99_ms: rounded(summary.p99Ms), wall_ms: rounded(summary.wallMs), llm_calls: summary.llmCalls };
}

/** One object per fault: `fault`, `ok`, `failed` (by status and reason), `failures` (each with its message), `identical`, latency quantiles, and the baseline's. */
export function jsonRows(rows: readonly ChaosRow[]): Array<Record<string, unknown>> {
  return rows.map((row) => ({
    fault: row.schedule.fault.name,
    description: describeFault(row.schedule.fault),
    generations: row.generations,
    ...jsonRun(row.faulted),
    identical: row.identical,
    struck_at_ms: row.struckAtMs ?? null,
    fault_duration_ms: row.schedule.fault.durationMs ?? null,
    victim: row.schedule.victim,
    orchestrator_peak_rss_mib: row.orchestratorPeakRssMiB === undefined ? null : Math.round(row.orchestratorPeakRssMiB),
    baseline: jsonRun(row.baseline),
  }));
}
