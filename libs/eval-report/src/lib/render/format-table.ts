import type { MetricsTable, RunMetrics } from '../metrics/table';

const dash = '—';

function fixed(v: number | null, digits: number, scale = 1, suffix = ''): string {
  return v === null ? dash : `${(v * scale).toFixed(digits)}${suffix}`;
}

/** Pads columns to their widest cell, so the stdout table lines up in a terminal. */
function align(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}

export const RUN_COLUMNS = [
  'label',
  'policy',
  'dataset',
  'n',
  'acc',
  '95% CI',
  'LLM share',
  'PGR',
  'cost red. vs router',
  'edge vs router',
  'calls/ans',
] as const;

/** n, "of <dataset size>" for a --limit sample, and ⚠ when too few items for the interval (see the notes). */
function runSize(r: RunMetrics): string {
  return `${r.n}${r.sampleOf === null ? '' : ` of ${r.sampleOf}`}${r.tooFewItems ? ' ⚠' : ''}`;
}

/** One row per run, as displayed (accuracy and shares in %, edge in points). */
export function runRows(table: MetricsTable): string[][] {
  return table.runs.map((r) => [
    r.label,
    r.policy,
    r.dataset,
    runSize(r),
    fixed(r.accuracy, 2, 100),
    `${fixed(r.ci95[0], 1, 100)}–${fixed(r.ci95[1], 1, 100)}`,
    fixed(r.share, 2, 100, '%'),
    fixed(r.pgr, 3),
    fixed(r.costReduction, 1, 100, '%'),
    r.accuracyEdge === null ? dash : `${r.accuracyEdge >= 0 ? '+' : ''}${(r.accuracyEdge * 100).toFixed(2)} pt`,
    r.callsPerAnswer.toFixed(2),
  ]);
}

export const CURVE_COLUMNS = ['curve', 'policy', 'dataset', 'points', 'APGR', 'share @PGR 0.5', 'share @PGR 0.8'] as const;

export function curveRows(table: MetricsTable): string[][] {
  return table.curves.map((c) => [
    c.name,
    c.policy,
    c.dataset,
    String(c.points),
    fixed(c.apgr, 3),
    fixed(c.shareAtPgr50, 2, 100, '%'),
    fixed(c.shareAtPgr80, 2, 100, '%'),
  ]);
}

/** The plain-text metrics table `relayllm report` prints. */
export function formatMetricsTable(table: MetricsTable): string {
  const parts = [align([[...RUN_COLUMNS], ...runRows(table)])];
  if (table.curves.length > 0) parts.push(align([[...CURVE_COLUMNS], ...curveRows(table)]));
  if (table.notes.length > 0) parts.push(table.notes.map((n) => `note: ${n}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}
