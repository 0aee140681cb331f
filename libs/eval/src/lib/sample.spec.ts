import { parseDataset, type EvalItem } from './dataset';
import { describeSample, proportionalAllocation, sampleItems } from './sample';

/** Like models/reference/data/test.jsonl: sorted by level, 2 then 3 then 4 operands. */
function levelSorted(perLevel: Record<number, number>): EvalItem[] {
  const lines = Object.entries(perLevel).flatMap(([level, count]) =>
    Array.from({ length: count }, (_, i) => JSON.stringify({ question: `q${level}-${i}`, answer: String(i), level: Number(level) })),
  );
  return parseDataset(lines.join('\n'), 'sorted.jsonl').items;
}

const levelsOf = (items: readonly EvalItem[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[String(item.extra['level'])] = (counts[String(item.extra['level'])] ?? 0) + 1;
  return counts;
};

describe('proportionalAllocation', () => {
  it.each([
    [[400, 400, 400], 50, [17, 17, 16]],
    [[400, 400, 400], 3, [1, 1, 1]],
    [[10, 1], 5, [5, 0]],
    [[1, 1, 1], 2, [1, 1, 0]],
    [[3, 0, 5], 8, [3, 0, 5]],
    [[100, 50, 10], 16, [10, 5, 1]],
  ])('sizes %j, total %d -> %j', (sizes, total, shares) => {
    expect(proportionalAllocation(sizes, total)).toEqual(shares);
  });

  it('never exceeds a stratum and always sums to the total (up to the population)', () => {
    for (const total of [0, 1, 7, 33, 160]) {
      const sizes = [100, 50, 10];
      const shares = proportionalAllocation(sizes, total);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
      shares.forEach((s, i) => expect(s).toBeLessThanOrEqual(sizes[i]));
    }
  });
});

describe('sampleItems', () => {
  const items = levelSorted({ 2: 400, 3: 400, 4: 400 });

  it('takes every level of a level-sorted set in proportion, not the first N lines', () => {
    const sample = sampleItems(items, 50);
    expect(sample.items).toHaveLength(50);
    expect(levelsOf(sample.items)).toEqual({ '2': 17, '3': 17, '4': 16 });
    expect(sample.byLevel).toEqual({ '2': { taken: 17, of: 400 }, '3': { taken: 17, of: 400 }, '4': { taken: 16, of: 400 } });
    expect(sample).toMatchObject({ of: 1200, limit: 50, seed: 0 });
    // Within a level, a spread of items rather than the level's first lines.
    const level2 = sample.items.filter((i) => i.extra['level'] === 2).map((i) => i.index);
    expect(Math.max(...level2)).toBeGreaterThan(200);
  });

  it('is seeded: the same sample every time, another one for another seed; items in dataset order', () => {
    const indices = (seed?: number) => sampleItems(items, 30, seed).items.map((i) => i.index);
    expect(indices()).toEqual(indices());
    expect(indices(7)).not.toEqual(indices());
    expect(indices()).toEqual([...indices()].sort((a, b) => a - b));
  });

  it('keeps the levels in proportion whatever the order of the file', () => {
    const reversed = parseDataset(
      [...items].reverse().map((i) => JSON.stringify({ question: i.question, answer: i.answer, level: i.extra['level'] })).join('\n'),
    ).items;
    expect(levelsOf(sampleItems(reversed, 30).items)).toEqual({ '2': 10, '3': 10, '4': 10 });
  });

  it('without a limit, or a limit at or above the size, takes every item and says it is no sample', () => {
    for (const limit of [undefined, 1200, 5000]) {
      const sample = sampleItems(items, limit);
      expect(sample.items).toHaveLength(1200);
      expect(sample.limit).toBeNull();
      expect(describeSample(sample, 'test.jsonl')).toBe('');
    }
  });

  it('samples items without a level as one stratum of their own; a set without levels simply at random', () => {
    const mixed = parseDataset(
      [
        ...Array.from({ length: 6 }, (_, i) => JSON.stringify({ question: `a${i}`, answer: '1', level: 1 })),
        ...Array.from({ length: 6 }, (_, i) => JSON.stringify({ question: `b${i}`, answer: '1' })),
      ].join('\n'),
    ).items;
    expect(sampleItems(mixed, 4).byLevel).toEqual({ '1': { taken: 2, of: 6 }, '(no level)': { taken: 2, of: 6 } });
    const plain = parseDataset(Array.from({ length: 20 }, (_, i) => JSON.stringify({ question: `c${i}`, answer: '1' })).join('\n')).items;
    const sample = sampleItems(plain, 5);
    expect(sample.byLevel).toBeNull();
    expect(sample.items.map((i) => i.index)).not.toEqual([0, 1, 2, 3, 4]);
  });

  it('describes the sample loudly: what was taken, of what, from which levels, with which seed', () => {
    expect(describeSample(sampleItems(items, 50), 'models/reference/data/test.jsonl')).toBe(
      '--limit 50: a SAMPLE of 50 of the 1200 items of models/reference/data/test.jsonl, not the whole set: ' +
        'seeded random (seed 0), stratified by level (2: 17/400, 3: 17/400, 4: 16/400)',
    );
  });
});
