import { commonPrefixLength, contextIds, planKvReuse } from './kv-plan';

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

  describe('text-only contexts (the engine tokenizes)', () => {
    // A BPE-like tokenizer: longest match first, so "is" + "<" may become one token once "<" follows.
    const vocab: Record<string, number> = { P: 1, ' is': 2, ' is<': 3, '<': 4, x: 5, y: 6, ' ': 7, i: 8, s: 9 };
    const tokenize = (text: string): number[] => {
      const ids: number[] = [];
      for (let i = 0; i < text.length; ) {
        const piece = Object.keys(vocab)
          .filter((p) => text.startsWith(p, i))
          .sort((a, b) => b.length - a.length)[0];
        ids.push(vocab[piece]);
        i += piece.length;
      }
      return ids;
    };

    it('ids as given when the context has them, else the whole text tokenized', () => {
      expect(contextIds({ text: 'ignored', tokens: [9, 9] }, tokenize)).toEqual([9, 9]);
      expect(contextIds({ text: 'P is' }, tokenize)).toEqual([1, 2]);
    });

    it('keeps the common prefix and re-evaluates from the token the new text tokenizes differently', () => {
      // Turn 1 context "P is" -> [P, " is"]; the model generated "x" (not yet fed).
      const cached = [1, 2];
      // Turn 2 (append-only, no token offsets): "P is" + "<" + "y" -> " is<" merges across the old boundary.
      const target = contextIds({ text: 'P is<y' }, tokenize);
      expect(target).toEqual([1, 3, 6]);
      expect(planKvReuse({ cached, target, owned: true, appendOnly: true })).toEqual({ keep: 1, feed: [3, 6], erase: true });
    });

    it('reuses everything up to the new text when the boundary is stable', () => {
      const cached = [1, 2, 5]; // "P is" + generated "x", then one more sampled id not fed
      const target = contextIds({ text: 'P isx y' }, tokenize);
      expect(planKvReuse({ cached, target, owned: true, appendOnly: true })).toEqual({ keep: 3, feed: [7, 6], erase: false });
    });
  });
});
