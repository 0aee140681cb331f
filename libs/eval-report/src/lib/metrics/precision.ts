import type { RunSummary } from './types';

/**
 * The widest 95% accuracy interval (half-width, accuracy units) a run may have
 * before the report flags it: wider than ±5 points, a run cannot tell apart
 * policies whose accuracies differ by less (a 50-item run near 87% spans
 * about ±9 points; the reference's 1,200 items about ±2).
 */
export const MAX_CI_HALF_WIDTH = 0.05;

export function ciHalfWidth(summary: Pick<RunSummary, 'accuracy_ci95'>): number {
  const [lo, hi] = summary.accuracy_ci95;
  return (hi - lo) / 2;
}

/** true when the run's confidence interval is too wide for comparisons (see MAX_CI_HALF_WIDTH). */
export function tooFewItems(summary: Pick<RunSummary, 'accuracy_ci95'>): boolean {
  return ciHalfWidth(summary) > MAX_CI_HALF_WIDTH;
}

const points = (v: number): string => (v * 100).toFixed(1);

/** The notes a report carries about runs that answered a sample, or too few items for their interval. */
export function precisionNotes(summaries: readonly RunSummary[]): string[] {
  const notes: string[] = [];
  for (const s of summaries) {
    if (s.sample !== undefined) {
      notes.push(`${s.label}: a sample of ${s.n} of ${s.sample.of} items (--limit ${s.sample.limit}, seed ${s.sample.seed}), not the whole dataset`);
    }
    if (tooFewItems(s)) {
      const [lo, hi] = s.accuracy_ci95;
      notes.push(
        `${s.label}: too few items (n=${s.n}) for its confidence interval: 95% CI ${points(lo)}–${points(hi)}% ` +
          `(±${points(ciHalfWidth(s))} pt, over ±${points(MAX_CI_HALF_WIDTH)} pt); runs closer than that are not told apart`,
      );
    }
  }
  return notes;
}
