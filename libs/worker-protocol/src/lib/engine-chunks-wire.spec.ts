import { EngineChunks, EngineFinish } from '@relayllm/proto';
import { ChunkAccumulator, chunksFromWire } from './engine-chunks-wire';

const overTheWire = (batch: EngineChunks): EngineChunks => EngineChunks.decode(EngineChunks.encode(batch).finish());

describe('ChunkAccumulator', () => {
  it('merges single-token chunks and hands out a batch when it holds maxTokens', () => {
    const b = new ChunkAccumulator(3);
    expect(b.add({ tokens: [97], text: 'a', probabilities: [0.5] })).toEqual([]);
    expect(b.add({ tokens: [98], text: 'b', probabilities: [0.25] })).toEqual([]);
    const [full] = b.add({ tokens: [99], text: 'c', probabilities: [1] });
    expect(full).toMatchObject({ tokens: [97, 98, 99], tokenTexts: ['a', 'b', 'c'], text: 'abc', probabilities: [0.5, 0.25, 1] });
    expect(b.empty).toBe(true);
  });

  it('splits an oversized engine chunk so no batch exceeds the bound', () => {
    const b = new ChunkAccumulator(2);
    const batches = b.add({ tokens: [1, 2, 3, 4, 5], text: 'abcde', tokenTexts: ['a', 'b', 'c', 'd', 'e'] });
    expect(batches.map((f) => f.tokens)).toEqual([[1, 2], [3, 4]]);
    expect(b.flush('length')).toMatchObject({ tokens: [5], text: 'e', finish: EngineFinish.ENGINE_FINISH_LENGTH });
  });

  it('drops probabilities when a chunk lacks them', () => {
    const b = new ChunkAccumulator(8);
    b.add({ tokens: [1], text: 'a', probabilities: [0.5] });
    b.add({ tokens: [259], text: '</call>' });
    expect(b.flush()).toMatchObject({ probabilities: [], finish: EngineFinish.ENGINE_FINISH_UNSPECIFIED });
  });

  it('rejects a multi-id chunk without matching tokenTexts', () => {
    expect(() => new ChunkAccumulator(8).add({ tokens: [1, 2], text: 'ab' })).toThrow();
  });
});

describe('engine chunks on the wire', () => {
  it('ids: one chunk with tokenTexts, probabilities and the finish (EOS id kept)', () => {
    const b = new ChunkAccumulator();
    b.add({ tokens: [49], text: '1', probabilities: [0.9] });
    b.add({ tokens: [50, 51], text: '23', tokenTexts: ['2', '3'], probabilities: [0.8, 0.7] });
    b.add({ tokens: [257], text: '', probabilities: [0.6] });
    expect(chunksFromWire(overTheWire(b.flush('eos')))).toEqual([
      { tokens: [49, 50, 51, 257], text: '123', tokenTexts: ['1', '2', '3', ''], probabilities: [0.9, 0.8, 0.7, 0.6].map((p) => expect.closeTo(p, 10)), finish: 'eos' },
    ]);
  });

  it('text-only: one chunk per engine chunk when each stood for one token, else one chunk with the count', () => {
    const b = new ChunkAccumulator();
    b.add({ tokens: [], text: 'ab' });
    b.add({ tokens: [], text: 'c' });
    expect(chunksFromWire(overTheWire(b.flush('length')))).toEqual([
      { tokens: [], text: 'ab', tokenCount: 1 },
      { tokens: [], text: 'c', tokenCount: 1, finish: 'length' },
    ]);
    b.add({ tokens: [], text: 'he', tokenCount: 2 });
    b.add({ tokens: [], text: 'y' });
    expect(chunksFromWire(overTheWire(b.flush()))).toEqual([{ tokens: [], text: 'hey', tokenCount: 3 }]);
  });

  it("text-only with probabilities (a server's logprobs, for a confidence floor): each one-token chunk gets its own back; one missing drops them all", () => {
    const b = new ChunkAccumulator();
    b.add({ tokens: [], text: 'ab', probabilities: [0.25] });
    b.add({ tokens: [], text: 'c', probabilities: [0.5] });
    expect(chunksFromWire(overTheWire(b.flush()))).toEqual([
      { tokens: [], text: 'ab', tokenCount: 1, probabilities: [0.25] },
      { tokens: [], text: 'c', tokenCount: 1, probabilities: [0.5] },
    ]);
    b.add({ tokens: [], text: 'a', probabilities: [0.25] });
    b.add({ tokens: [], text: 'b' });
    expect(chunksFromWire(overTheWire(b.flush())).map((c) => c.probabilities)).toEqual([undefined, undefined]);
  });

  it('an empty batch is one empty chunk carrying the finish; an unknown finish from a newer peer reads as eos', () => {
    expect(chunksFromWire(new ChunkAccumulator().flush('abort'))).toEqual([{ tokens: [], text: '', tokenCount: 0, finish: 'abort' }]);
    expect(chunksFromWire({ ...new ChunkAccumulator().flush(), finish: 99 as EngineFinish })[0]?.finish).toBe('eos');
  });
});
