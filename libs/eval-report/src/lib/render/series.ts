import type { RunMetrics } from '../metrics/table';

/** What naming a series needs to know about a run. */
export type SeriesMember = Pick<RunMetrics, 'curve' | 'policy' | 'dataset' | 'label'>;

/** Runs grouped into chart series: one per curve (sweep or policy group), in first-seen order. */
export interface Series<T> {
  key: string;
  name: string;
  runs: T[];
}

function lastSegment(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== '');
  return parts[parts.length - 1] ?? path;
}

/**
 * Names a series: a single run keeps its own label (what the user wrote);
 * a curve of several runs is "<policy> · <sweep dir name>" (or the policy
 * alone for a group of top-level runs), so every chart names it the same way.
 */
export function seriesOf<T>(items: readonly T[], describe: (item: T) => SeriesMember): Series<T>[] {
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const key = describe(item).curve;
    byKey.set(key, [...(byKey.get(key) ?? []), item]);
  }
  return [...byKey.entries()].map(([key, members]) => {
    const first = describe(members[0]);
    const isGroup = key === `${first.dataset}/${first.policy}`;
    const name =
      members.length === 1 ? first.label : isGroup ? first.policy : `${first.policy} · ${lastSegment(key)}`;
    return { key, name, runs: members };
  });
}

export function pct(v: number, digits = 1): string {
  return `${(v * 100).toFixed(digits)}%`;
}
