import { accuracyEdgeAtEqualCost, costReductionAtMatchedAccuracy } from './compare';
import { curveNames } from './curve-name';
import { apgr, clampShare, pgr, shareAtPgr } from './pgr';
import { precisionNotes, tooFewItems } from './precision';
import type { Baselines, CurvePoint, Policy, RunSummary } from './types';

/** A summary and where it came from; `sweep` is the sweep directory, if any. */
export interface LoadedRun {
  dir: string;
  sweep: string | null;
  summary: RunSummary;
}

export interface RunMetrics {
  label: string;
  policy: Policy;
  dataset: string;
  dir: string;
  /** The curve (sweep or policy group) the run belongs to; see curveKey. */
  curve: string;
  n: number;
  accuracy: number;
  /** The run's 95% accuracy interval (Wilson). */
  ci95: [number, number];
  /** The dataset's size when the run answered a `--limit` sample of it; null otherwise. */
  sampleOf: number | null;
  /** The interval is too wide to compare runs (see precision.ts). */
  tooFewItems: boolean;
  share: number;
  pgr: number | null;
  costReduction: number | null;
  accuracyEdge: number | null;
  callsPerAnswer: number;
  latencyMsP50: number;
  latencyMsP95: number;
}

export interface CurveMetrics {
  /** The curve's key (see curveKey): a sweep directory or `<dataset>/[<model>:]<policy>`. */
  curve: string;
  /** What every chart and table calls it (see curveName): labels, never paths; unique in the table. */
  name: string;
  policy: Policy;
  dataset: string;
  points: number;
  apgr: number | null;
  shareAtPgr50: number | null;
  shareAtPgr80: number | null;
}

export interface MetricsTable {
  baselines: Record<string, Baselines>;
  runs: RunMetrics[];
  curves: CurveMetrics[];
  /** Things a reader must know (missing or duplicate baselines, samples, runs too small for their interval). */
  notes: string[];
}

/**
 * A sweep is one curve. Runs passed on their own are grouped per dataset and
 * policy, so separate budget runs of one policy still form a curve.
 */
export function curveKey(run: LoadedRun): string {
  const model = run.summary.model === undefined ? '' : `${run.summary.model}:`;
  return run.sweep ?? `${run.summary.dataset}/${model}${run.summary.policy}`;
}

/** The first 'slm' and 'llm' run per dataset (in input order) are its baselines. */
export function findBaselines(runs: readonly LoadedRun[], notes: string[]): Record<string, Baselines> {
  const found: Record<string, Partial<Record<'slm' | 'llm', RunSummary>>> = {};
  for (const { summary, dir } of runs) {
    if (summary.policy !== 'slm' && summary.policy !== 'llm') continue;
    const slot = (found[summary.dataset] ??= {});
    if (slot[summary.policy]) {
      notes.push(`${summary.dataset}: more than one ${summary.policy} run, ${dir} ignored as baseline`);
    } else {
      slot[summary.policy] = summary;
    }
  }
  const baselines: Record<string, Baselines> = {};
  for (const [dataset, slot] of Object.entries(found)) {
    if (!slot.slm || !slot.llm) {
      notes.push(`${dataset}: needs both an slm and an llm run for PGR and router comparisons`);
      continue;
    }
    baselines[dataset] = {
      slm: { accuracy: slot.slm.accuracy, meanResponseTokens: slot.slm.mean_response_tokens },
      llm: { accuracy: slot.llm.accuracy, meanResponseTokens: slot.llm.mean_response_tokens },
    };
  }
  return baselines;
}

export function computeMetrics(runs: readonly LoadedRun[]): MetricsTable {
  const notes: string[] = [];
  const baselines = findBaselines(runs, notes);
  const datasetsWithoutBaselines = new Set(runs.map((r) => r.summary.dataset).filter((d) => !baselines[d]));
  for (const d of datasetsWithoutBaselines) {
    if (!notes.some((n) => n.startsWith(`${d}:`))) notes.push(`${d}: no slm/llm runs, PGR not computed`);
  }

  const rows: RunMetrics[] = runs.map((run) => {
    const s = run.summary;
    const b = baselines[s.dataset];
    const share = clampShare(s.llm_token_ratio);
    return {
      label: s.label,
      policy: s.policy,
      dataset: s.dataset,
      dir: run.dir,
      curve: curveKey(run),
      n: s.n,
      accuracy: s.accuracy,
      ci95: s.accuracy_ci95,
      sampleOf: s.sample?.of ?? null,
      tooFewItems: tooFewItems(s),
      share,
      pgr: b ? pgr(s.accuracy, b) : null,
      costReduction: b ? costReductionAtMatchedAccuracy(s.accuracy, share, b) : null,
      accuracyEdge: b ? accuracyEdgeAtEqualCost(s.accuracy, share, b) : null,
      callsPerAnswer: s.calls_per_answer,
      latencyMsP50: s.latency_ms_p50,
      latencyMsP95: s.latency_ms_p95,
    };
  });

  // Baselines are the curve's fixed endpoints, not curves of their own.
  const groups = new Map<string, RunMetrics[]>();
  for (const row of rows) {
    if (row.policy === 'slm' || row.policy === 'llm') continue;
    groups.set(row.curve, [...(groups.get(row.curve) ?? []), row]);
  }
  const names = curveNames([...groups.keys()].map((curve) => runs.filter((r) => curveKey(r) === curve).map((r) => r.summary)));
  const curves: CurveMetrics[] = [...groups.entries()].map(([curve, members], i) => {
    const points: CurvePoint[] | null = members.every((m) => m.pgr !== null)
      ? members.map((m) => ({ share: m.share, pgr: m.pgr as number }))
      : null;
    return {
      curve,
      name: names[i],
      policy: members[0].policy,
      dataset: members[0].dataset,
      points: members.length,
      apgr: points ? apgr(points) : null,
      shareAtPgr50: points ? shareAtPgr(points, 0.5) : null,
      shareAtPgr80: points ? shareAtPgr(points, 0.8) : null,
    };
  });
  notes.push(...precisionNotes(runs.map((r) => r.summary)));
  return { baselines, runs: rows, curves, notes };
}
