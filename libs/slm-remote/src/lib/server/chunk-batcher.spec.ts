import { SlmFinish } from '@relayllm/proto';
import { ChunkBatcher } from './chunk-batcher';

describe('ChunkBatcher', () => {
  it('merges single-token chunks and emits a frame when it holds maxTokens', () => {
    const b = new ChunkBatcher(2, 3);
    expect(b.add({ tokens: [97], text: 'a', probabilities: [0.5] })).toEqual([]);
    expect(b.add({ tokens: [98], text: 'b', probabilities: [0.25] })).toEqual([]);
    const [full] = b.add({ tokens: [99], text: 'c', probabilities: [1] });
    expect(full).toMatchObject({ generateSeq: 2, tokens: [97, 98, 99], tokenTexts: ['a', 'b', 'c'], text: 'abc', probabilities: [0.5, 0.25, 1] });
    expect(b.empty).toBe(true);
  });

  it('splits an oversized engine chunk so no frame exceeds the bound', () => {
    const b = new ChunkBatcher(1, 2);
    const frames = b.add({ tokens: [1, 2, 3, 4, 5], text: 'abcde', tokenTexts: ['a', 'b', 'c', 'd', 'e'] });
    expect(frames.map((f) => f.tokens)).toEqual([[1, 2], [3, 4]]);
    expect(b.flush({ finish: 'length' })).toMatchObject({ tokens: [5], text: 'e', finish: SlmFinish.SLM_FINISH_LENGTH });
  });

  it('drops probabilities when a chunk lacks them, and marks a pause', () => {
    const b = new ChunkBatcher(1, 8);
    b.add({ tokens: [1], text: 'a', probabilities: [0.5] });
    b.add({ tokens: [259], text: '</call>' });
    expect(b.flush({ paused: true })).toMatchObject({ probabilities: [], paused: true, finish: SlmFinish.SLM_FINISH_UNSPECIFIED });
  });

  it('keeps text-only chunks whole, counting their tokens', () => {
    const b = new ChunkBatcher(1, 8);
    b.add({ tokens: [], text: 'he', tokenCount: 2 });
    b.add({ tokens: [], text: 'y' });
    expect(b.flush()).toMatchObject({ tokens: [], text: 'hey', tokenCount: 3 });
  });

  it('rejects a multi-id chunk without matching tokenTexts', () => {
    expect(() => new ChunkBatcher(1, 8).add({ tokens: [1, 2], text: 'ab' })).toThrow();
  });
});
