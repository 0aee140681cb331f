import type { EvalItem } from './dataset';
import { itemUniform } from './random';

/**
 * The seed of every `--limit` sample. Fixed, not `--seed`: every policy of a
 * comparison (random-router runs with its own --seed) must answer the same
 * questions, and a resumed run must pick the same ones again.
 */
export const SAMPLE_SEED = 0;

/** The stratum of items without a `level` field, when others have one. */
export const NO_LEVEL = '(no level)';

/** Items taken from one stratum, and how many it holds. */
export interface StratumCount {
  taken: number;
  of: number;
}

/** The items a run answers: every item, or a seeded sample (`--limit`). */
export interface DatasetSample {
  /** The items to run, in dataset order. */
  items: EvalItem[];
  /** Items in the dataset. */
  of: number;
  /** The `--limit` asked for; null when every item runs. */
  limit: number | null;
  seed: number;
  /** Per `level` value (natural order), when the items carry one; null otherwise. */
  byLevel: Record<string, StratumCount> | null;
}

const levelOf = (item: EvalItem): string | undefined => {
  const level = item.extra['level'];
  return level === undefined || level === null ? undefined : String(level);
};

/**
 * Largest-remainder (Hamilton) allocation of `total` among strata of the given
 * sizes, proportional to size; ties in the remainder go to the earlier stratum.
 * Each share is at most its stratum's size, and the shares sum to `total`.
 */
export function proportionalAllocation(sizes: readonly number[], total: number): number[] {
  const n = sizes.reduce((a, b) => a + b, 0);
  const quotas = sizes.map((size) => (n === 0 ? 0 : (total * size) / n));
  const shares = quotas.map(Math.floor);
  const order = quotas.map((q, i) => ({ i, rest: q - Math.floor(q) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  let left = total - shares.reduce((a, b) => a + b, 0);
  for (const { i } of order) {
    if (left <= 0) break;
    if (shares[i] < sizes[i]) {
      shares[i]++;
      left--;
    }
  }
  return shares;
}

/**
 * The items `--limit N` runs: when N is below the dataset's size, a seeded
 * random sample stratified by `level` (when items carry one), each level
 * represented in proportion to its size; within a level, the items with the
 * smallest `itemUniform(seed, index)` draws. The same (items, N, seed) always
 * give the same sample, whatever the file order of the levels: a level-sorted
 * file's first N lines would all be of its first level.
 */
export function sampleItems(items: readonly EvalItem[], limit: number | undefined, seed = SAMPLE_SEED): DatasetSample {
  const hasLevels = items.some((item) => levelOf(item) !== undefined);
  const strata = new Map<string, EvalItem[]>();
  for (const item of items) {
    const key = hasLevels ? (levelOf(item) ?? NO_LEVEL) : '';
    strata.set(key, [...(strata.get(key) ?? []), item]);
  }
  const keys = [...strata.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const all = limit === undefined || limit >= items.length;
  const shares = all ? keys.map((k) => (strata.get(k) as EvalItem[]).length) : proportionalAllocation(keys.map((k) => (strata.get(k) as EvalItem[]).length), limit);
  const taken: EvalItem[] = [];
  keys.forEach((key, i) => {
    const members = [...(strata.get(key) as EvalItem[])].sort((a, b) => itemUniform(seed, a.index) - itemUniform(seed, b.index) || a.index - b.index);
    taken.push(...members.slice(0, shares[i]));
  });
  taken.sort((a, b) => a.index - b.index);
  const byLevel = hasLevels
    ? Object.fromEntries(keys.map((key, i) => [key, { taken: shares[i], of: (strata.get(key) as EvalItem[]).length }]))
    : null;
  return { items: taken, of: items.length, limit: all ? null : limit, seed, byLevel };
}

/** One line saying what a sample is, for the log (empty when every item runs). */
export function describeSample(sample: DatasetSample, dataset: string): string {
  if (sample.limit === null) return '';
  const head = `--limit ${sample.limit}: a SAMPLE of ${sample.items.length} of the ${sample.of} items of ${dataset}, not the whole set`;
  if (sample.byLevel === null) return `${head}: seeded random (seed ${sample.seed}; the items have no level field)`;
  const levels = Object.entries(sample.byLevel).map(([level, c]) => `${level}: ${c.taken}/${c.of}`);
  return `${head}: seeded random (seed ${sample.seed}), stratified by level (${levels.join(', ')})`;
}
