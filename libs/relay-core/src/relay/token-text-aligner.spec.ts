import { TokenTextAligner } from './token-text-aligner';

function aligner(tokens: ReadonlyArray<[number, string]>): TokenTextAligner {
  const a = new TokenTextAligner();
  for (const [id, text] of tokens) a.push(id, text);
  return a;
}

describe('TokenTextAligner', () => {
  it('text on token boundaries gets its ids; each token is attributed where it ends', () => {
    const a = aligner([[1, 'The'], [2, ' is'], [3, '<'], [4, 'call'], [5, '>']]);
    expect(a.take(6)).toEqual({ ids: [1, 2], endedTokens: 2 });
    expect(a.take(6)).toEqual({ ids: [3, 4, 5], endedTokens: 3 });
  });

  it('text that shares a token with a command has no ids (" <": the space is text, "<" the command)', () => {
    const a = aligner([[1, 'is'], [2, ' <'], [3, 'call']]);
    expect(a.take(3)).toEqual({ ids: undefined, endedTokens: 1 });
    expect(a.take(5)).toEqual({ ids: undefined, endedTokens: 2 });
  });

  it('reports how much of the last token a command took (">b")', () => {
    const a = aligner([[1, '</'], [2, 'call'], [3, '>b']]);
    a.take(7);
    expect(a.takenOfLast()).toEqual({ taken: 1, length: 2 });
  });

  it('an empty token (leading byte of a character) goes with the character after it', () => {
    const a = aligner([[1, 'a'], [2, ''], [3, 'é']]);
    expect(a.take(1)).toEqual({ ids: [1], endedTokens: 1 });
    expect(a.take(1)).toEqual({ ids: [2, 3], endedTokens: 2 });
  });

  it('refuses to read more text than was pushed', () => {
    expect(() => aligner([[1, 'ab']]).take(3)).toThrow(/3 characters/);
  });
});
