import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvalItem } from './dataset';
import { RESULTS_FILE } from './results';

/**
 * What a run's results depend on, flat: the engines (a model file by its sha256, a server by its
 * address), the questions, the policy and its parameters, the decoding limits. Written to
 * `<run dir>/run.json`; `--resume` adds results to a directory only when its setup is this one, so
 * that swapping a model and running again never mixes the old model's answers into the new
 * summary (it did: every run of `eval:reference` resumes).
 */
export type RunSetup = Readonly<Record<string, string | number | boolean | null>>;

export const SETUP_FILE = 'run.json';

/** `--resume` into a directory whose results were made by another setup (or by an unknown one). */
export class ResumeMismatchError extends Error {
  override readonly name = 'ResumeMismatchError';
  constructor(
    readonly dir: string,
    readonly differences: readonly string[],
  ) {
    super(
      `cannot resume ${dir}: its results come from another setup (${differences.join('; ')}); ` +
        'run without --resume to start it over, or give another --out',
    );
  }
}

/** The questions and gold answers, hashed: a dataset edited or re-drawn is another dataset. */
export function datasetDigest(items: readonly EvalItem[]): string {
  const hash = createHash('sha256');
  for (const item of items) hash.update(`${JSON.stringify([item.index, item.question, item.gold])}\n`);
  return hash.digest('hex');
}

/** Each key whose value differs, as `key: was X, now Y` (a key on one side only counts). */
export function setupDifferences(before: RunSetup, now: RunSetup): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
  return keys
    .filter((key) => before[key] !== now[key])
    .map((key) => `${key}: was ${JSON.stringify(before[key] ?? null)}, now ${JSON.stringify(now[key] ?? null)}`);
}

async function readSetup(dir: string): Promise<RunSetup | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, SETUP_FILE), 'utf8')) as RunSetup;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function hasResults(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, RESULTS_FILE))).size > 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Makes `dir` the run of `setup` (the directory exists). Resuming, results already there must
 * come from the same setup: a different run.json, or results with none, throw
 * ResumeMismatchError before anything is written. Then run.json is (re)written.
 */
export async function claimRunDir(dir: string, setup: RunSetup, resume: boolean): Promise<void> {
  if (resume) {
    const before = await readSetup(dir);
    if (before === undefined && (await hasResults(dir))) {
      throw new ResumeMismatchError(dir, [`${SETUP_FILE} is missing, so the results there are of an unknown setup`]);
    }
    const differences = before === undefined ? [] : setupDifferences(before, setup);
    if (differences.length > 0) throw new ResumeMismatchError(dir, differences);
  }
  await writeFile(join(dir, SETUP_FILE), `${JSON.stringify(setup, null, 2)}\n`);
}
