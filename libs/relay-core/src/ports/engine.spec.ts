import { chunkTokenCount, newContextPart, type EngineRequest } from './engine';

const request = (overrides: Partial<EngineRequest>): EngineRequest => ({
  sequenceId: 's',
  turn: 0,
  context: { text: 'Hello world', tokens: [1, 2, 3, 4] },
  appendOnly: false,
  maxTokens: 1,
  sampling: {},
  stopTokens: [],
  stop: [],
  bannedTokens: [],
  ...overrides,
});

describe('engine contract helpers', () => {
  it('newContextPart returns the whole context for a fresh request', () => {
    expect(newContextPart(request({}))).toEqual({ text: 'Hello world', tokens: [1, 2, 3, 4] });
  });

  it('newContextPart returns only the appended part for an append-only request', () => {
    expect(newContextPart(request({ appendOnly: true, appendFrom: { text: 5, tokens: 3 } }))).toEqual({ text: ' world', tokens: [4] });
    expect(newContextPart(request({ context: { text: 'Hello world' }, appendOnly: true, appendFrom: { text: 6 } }))).toEqual({ text: 'world' });
  });

  it('chunkTokenCount: ids, else reported count, else one per non-empty text delta', () => {
    expect(chunkTokenCount({ tokens: [1, 2], text: 'ab', tokenTexts: ['a', 'b'] })).toBe(2);
    expect(chunkTokenCount({ tokens: [], text: 'abc', tokenCount: 3 })).toBe(3);
    expect(chunkTokenCount({ tokens: [], text: 'abc' })).toBe(1);
    expect(chunkTokenCount({ tokens: [], text: '', finish: 'eos' })).toBe(0);
  });
});
