import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedRun } from '../metrics/table';
import { parseSummary, SummaryError } from './summary-schema';

export const SUMMARY_FILE = 'summary.json';

function readSummaryFile(file: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new SummaryError(`${file}: cannot read JSON: ${(error as Error).message}`);
  }
  return parseSummary(raw, file);
}

/**
 * Reads one run directory or one sweep directory:
 *  - `<dir>/summary.json` is a run on its own;
 *  - every `<dir>/<sub>/summary.json` is a point of the sweep `<dir>`
 *    (sub-directories in name order, so reports are reproducible).
 * A directory with neither is an error that names it: a typo in a path must
 * not silently drop a policy from the report.
 */
export function readRunDir(dir: string): LoadedRun[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new SummaryError(`${dir}: not a directory`);
  }
  const runs: LoadedRun[] = [];
  const own = join(dir, SUMMARY_FILE);
  if (existsSync(own)) runs.push({ dir, sweep: null, summary: readSummaryFile(own) });
  const subs = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort(compareSweepPoints);
  for (const sub of subs) {
    const file = join(dir, sub, SUMMARY_FILE);
    if (existsSync(file)) runs.push({ dir: join(dir, sub), sweep: dir, summary: readSummaryFile(file) });
  }
  if (runs.length === 0) {
    throw new SummaryError(`${dir}: no ${SUMMARY_FILE} (neither in it nor in its sub-directories)`);
  }
  return runs;
}

/**
 * Sweep points in the order of their value: `<param>=<number>` directories of
 * one parameter by number (`call_bias=-4` before `call_bias=-1`, which name
 * order reverses), anything else by name. Charts shade a sweep's runs in this
 * order, light to full.
 */
export function compareSweepPoints(a: string, b: string): number {
  const [ka, va] = a.split('=');
  const [kb, vb] = b.split('=');
  const na = Number(va);
  const nb = Number(vb);
  if (ka === kb && va !== undefined && vb !== undefined && va.trim() !== '' && vb.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb) && na !== nb) {
    return na - nb;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export function readRuns(dirs: readonly string[]): LoadedRun[] {
  if (dirs.length === 0) throw new SummaryError('no run directories given');
  return dirs.flatMap(readRunDir);
}
