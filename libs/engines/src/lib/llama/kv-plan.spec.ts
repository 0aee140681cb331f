import { commonPrefixLength, planKvReuse } from './kv-plan';

describe('planKvReuse', () => {
  const prompt = [256, 1, 2, 3];

  it('append-only on an owned cache: keeps the common prefix, feeds the difference', () => {
    // Cache after a turn that generated [7, 8, 9]: the last sampled id (9) was never fed.
    const cached = [...prompt, 7, 8];
    const target = [...prompt, 7, 8, 9, 40, 41];
    expect(planKvReuse({ cached, target, owned: true, appendOnly: true, appendFrom: 4 })).toEqual({
      keep: 6,
      feed: [9, 40, 41],
      erase: false,
    });
  });

  it('erases what the relay did not keep', () => {
    const cached = [...prompt, 7, 8, 9];
    const target = [...prompt, 7, 50];
    expect(planKvReuse({ cached, target, owned: true, appendOnly: true, appendFrom: 4 })).toEqual({
      keep: 5,
      feed: [50],
      erase: true,
    });
  });

  it('feeds at least the last id when the whole context is cached', () => {
    const cached = [...prompt, 7];
    expect(planKvReuse({ cached, target: [...prompt, 7], owned: true, appendOnly: true, appendFrom: 4 })).toMatchObject({
      keep: 4,
      feed: [7],
    });
  });

  it('starts over when not append-only, not owned, or the cache contradicts the previous context', () => {
    const cached = [...prompt, 7];
    const target = [...prompt, 7, 8];
    expect(planKvReuse({ cached, target, owned: true, appendOnly: false }).keep).toBe(0);
    expect(planKvReuse({ cached, target, owned: false, appendOnly: true, appendFrom: 4 }).keep).toBe(0);
    const other = [256, 1, 9, 3, 7];
    expect(planKvReuse({ cached: other, target, owned: true, appendOnly: true, appendFrom: 4 })).toEqual({
      keep: 0,
      feed: target,
      erase: true,
    });
  });

  it('a cache shorter than the previous context (aborted while evaluating it) is still reused', () => {
    const target = [...prompt, 7, 8];
    expect(planKvReuse({ cached: [256, 1], target, owned: true, appendOnly: true, appendFrom: 4 }).keep).toBe(2);
  });

  it('rejects an empty context', () => {
    expect(() => planKvReuse({ cached: [], target: [], owned: false, appendOnly: false })).toThrow(/empty/);
  });

  it('commonPrefixLength', () => {
    expect(commonPrefixLength([1, 2, 3], [1, 2, 4])).toBe(2);
    expect(commonPrefixLength([], [1])).toBe(0);
    expect(commonPrefixLength([1, 2], [1, 2, 3])).toBe(2);
  });
});
