import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRuns } from './io/read-summaries';
import { computeMetrics, type LoadedRun, type MetricsTable } from './metrics/table';
import { callPositionChart } from './render/call-position-chart';
import { type Figure, reportHtml } from './render/html';
import { levelChart } from './render/level-chart';
import { paretoChart } from './render/pareto-chart';
import { SeriesStyles } from './render/series';

export interface ReportResult {
  table: MetricsTable;
  /** Absolute or outDir-relative paths of every file written. */
  files: string[];
}

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'dataset';
}

/**
 * Pure: the figures of a report (one Pareto chart per dataset, then levels and
 * call positions), every series named and coloured once for all of them.
 */
export function reportFigures(table: MetricsTable, runs: readonly LoadedRun[]): Figure[] {
  const styles = new SeriesStyles(table);
  const datasets = [...new Set(table.runs.map((r) => r.dataset))];
  const pareto = datasets.map((d) => ({
    title: datasets.length === 1 ? 'Accuracy vs LLM-token share' : `Accuracy vs LLM-token share — ${d}`,
    file: datasets.length === 1 ? 'pareto.svg' : `pareto-${slug(d)}.svg`,
    svg: paretoChart(table, d, styles),
  }));
  return [
    ...pareto,
    { title: 'Accuracy per level', file: 'levels.svg', svg: levelChart(runs, styles) },
    { title: 'Where the LLM calls fall', file: 'call-positions.svg', svg: callPositionChart(runs, styles) },
  ];
}

/**
 * Reads the run/sweep directories, computes the metrics and writes into outDir:
 * report.html (self-contained), report.json (the metrics table) and one .svg
 * per figure. Throws SummaryError naming the directory or file at fault before
 * writing anything, so a failed run never leaves a half-written report.
 */
export function writeReport(dirs: readonly string[], outDir: string): ReportResult {
  const runs = readRuns(dirs);
  const table = computeMetrics(runs);
  const figures = reportFigures(table, runs);
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, content: string) => {
    const file = join(outDir, name);
    writeFileSync(file, content);
    files.push(file);
  };
  for (const f of figures) write(f.file, `${f.svg}\n`);
  write('report.json', `${JSON.stringify({ inputs: dirs, ...table }, null, 2)}\n`);
  write('report.html', reportHtml(table, figures, dirs));
  return { table, files };
}
