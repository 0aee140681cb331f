import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The Grafana dashboard shipped in deploy/observability. */
export const DASHBOARD_PATH = resolve(__dirname, '../../../../deploy/observability/grafana-dashboard.json');

/**
 * How a panel says it applies to the distributed deployment only (its
 * description starts with it); every other panel must get data from the
 * embedded server too.
 */
export const CLUSTER_ONLY_MARK = 'Distributed deployment only';

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  description: string;
  gridPos: { x: number; y: number; w: number; h: number };
  /** The panel's PromQL expressions. */
  queries: string[];
  clusterOnly: boolean;
}

interface PanelJson {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: DashboardPanel['gridPos'];
  targets?: { expr: string }[];
}

/** The dashboard's panels (rows included), as shipped. */
export function dashboardPanels(path = DASHBOARD_PATH): DashboardPanel[] {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { panels: PanelJson[] };
  return json.panels.map((p) => ({
    id: p.id,
    type: p.type,
    title: p.title,
    description: p.description ?? '',
    gridPos: p.gridPos,
    queries: (p.targets ?? []).map((t) => t.expr),
    clusterOnly: (p.description ?? '').startsWith(CLUSTER_ONLY_MARK),
  }));
}

/** The RelayLLM series a PromQL expression reads (histograms as their `_bucket` / `_sum` / `_count` series). */
export function seriesIn(expr: string): string[] {
  return [...new Set(expr.match(/\brelayllm_[a-zA-Z0-9_]+/g) ?? [])];
}

/** What a /metrics exposition holds: the metric families it declares (# TYPE) and the series names with a sample. */
export interface Exposition {
  declared: Set<string>;
  sampled: Set<string>;
}

export function readExposition(...texts: string[]): Exposition {
  const declared = new Set<string>();
  const sampled = new Set<string>();
  for (const line of texts.join('\n').split('\n')) {
    const type = /^# TYPE (\S+) \S+$/.exec(line)?.[1];
    if (type !== undefined) declared.add(type);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+\S+$/.exec(line)?.[1];
    if (sample !== undefined) sampled.add(sample);
  }
  return { declared, sampled };
}

/** Whether `series` belongs to a declared family (a histogram's `_bucket` / `_sum` / `_count` to its family). */
function isDeclared(exposition: Exposition, series: string): boolean {
  const family = /^(.*)_(bucket|sum|count)$/.exec(series)?.[1];
  return exposition.declared.has(series) || (family !== undefined && exposition.declared.has(family));
}

/**
 * Counters labelled by what failed: they have a sample only once something
 * failed (a run without faults leaves them declared, without samples).
 */
export const FAILURE_SERIES: ReadonlySet<string> = new Set([
  'relayllm_errors_total',
  'relayllm_llm_reissues_total',
  'relayllm_slm_failovers_total',
  'relayllm_store_bypass_total',
]);

/**
 * The panel series an exposition leaves unanswered, as `panel title: series`
 * ([] when every query of `panels` names a series there): `declared` asks
 * only that the app exports the metric, `sampled` that it has a sample now
 * (a Grafana query over it returns data), except FAILURE_SERIES, which need
 * only be declared.
 */
export function unansweredSeries(panels: readonly DashboardPanel[], exposition: Exposition, need: 'declared' | 'sampled'): string[] {
  const missing: string[] = [];
  for (const panel of panels) {
    for (const series of panel.queries.flatMap(seriesIn)) {
      const found = need === 'declared' || FAILURE_SERIES.has(series) ? isDeclared(exposition, series) : exposition.sampled.has(series);
      if (!found) missing.push(`${panel.title}: ${series}`);
    }
  }
  return [...new Set(missing)];
}
