import type { MetricsTable } from '../metrics/table';
import { colour } from './svg';

/** How one series (a curve, or a single-model baseline run) looks in the charts. */
export interface SeriesStyle {
  name: string;
  colour: string;
}

/**
 * One name and one colour per series for every chart of a report, so that a
 * policy keeps its colour from the Pareto chart to the level and call-position
 * charts. Keyed by curve key (`RunMetrics.curve`, `curveKey(run)`); curves are
 * named as the metrics table names them (`CurveMetrics.name`: labels, not
 * paths), a baseline run by its label; colours follow the order in which the
 * series first appear among the runs.
 */
export class SeriesStyles {
  private readonly styles = new Map<string, SeriesStyle>();

  constructor(table: MetricsTable) {
    const names = new Map(table.curves.map((c) => [c.curve, c.name]));
    for (const run of table.runs) {
      if (!this.styles.has(run.curve)) {
        this.styles.set(run.curve, { name: names.get(run.curve) ?? run.label, colour: colour(this.styles.size) });
      }
    }
  }

  /** The style of a series of the table; throws for a key the table does not have. */
  of(curve: string): SeriesStyle {
    const style = this.styles.get(curve);
    if (style === undefined) throw new Error(`no series ${curve} in this report`);
    return style;
  }
}

/** Items grouped by series key, groups and members in first-seen order. */
export function groupBySeries<T>(items: readonly T[], keyOf: (item: T) => string): Array<{ key: string; members: T[] }> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return [...groups.entries()].map(([key, members]) => ({ key, members }));
}

export function pct(v: number, digits = 1): string {
  return `${(v * 100).toFixed(digits)}%`;
}
