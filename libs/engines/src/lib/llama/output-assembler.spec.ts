import type { EngineFinish } from '@relayllm/relay-core';
import { OutputAssembler, type LlamaEngineChunk, type OutputAssemblerOptions } from './output-assembler';

/** Byte-level vocabulary like the reference models: ids 0..255 bytes, 257 EOS, 258/259 commands. */
const CONTROL: Record<number, string> = { 256: '<s>', 257: '</s>', 258: '<call>', 259: '</call>' };
const utf8 = new TextDecoder();
function decode(tokens: readonly number[]): string {
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    out += utf8.decode(Uint8Array.from(bytes));
    bytes = [];
  };
  for (const t of tokens) {
    if (t < 256) bytes.push(t);
    else {
      flush();
      out += CONTROL[t] ?? '';
    }
  }
  flush();
  return out;
}

const ids = (text: string): number[] => [...Buffer.from(text, 'utf8')];

function run(tokens: readonly number[], opts: Partial<OutputAssemblerOptions> = {}, end?: EngineFinish) {
  const assembler = new OutputAssembler({ isEog: (t) => t === 257, stopTokens: [], stop: [], maxTokens: 1000, decode, ...opts });
  const chunks: LlamaEngineChunk[] = [];
  for (const token of tokens) {
    const chunk = assembler.push({ token, probability: 0.5 });
    if (chunk !== undefined) chunks.push(chunk);
    if (chunk?.finish !== undefined) break;
  }
  if (end !== undefined && chunks[chunks.length - 1]?.finish === undefined) chunks.push(assembler.end(end));
  for (const chunk of chunks) {
    if (chunk.tokens.length > 1) expect(chunk.tokenTexts?.join('')).toBe(chunk.text);
    if (chunk.tokens.length > 0) expect(chunk.probabilities).toHaveLength(chunk.tokens.length);
  }
  return {
    chunks,
    text: chunks.map((c) => c.text).join(''),
    tokens: chunks.flatMap((c) => c.tokens),
    finish: chunks[chunks.length - 1]?.finish,
  };
}

describe('OutputAssembler', () => {
  it('one chunk per id; EOS is reported with empty text and ends the stream', () => {
    const out = run([...ids('ab'), 257, 99]);
    expect(out.chunks.map((c) => [c.tokens, c.text])).toEqual([
      [[97], 'a'],
      [[98], 'b'],
      [[257], ''],
    ]);
    expect(out.finish).toBe('eos');
  });

  it('control ids decode to their literal text', () => {
    expect(run([258, ...ids('12'), 259]).text).toBe('<call>12</call>');
  });

  it('a multi-byte character: leading bytes carry "", the last byte the character', () => {
    const out = run(ids('é✓'), {}, 'length');
    expect(out.text).toBe('é✓');
    expect(out.chunks.slice(0, -1).map((c) => c.tokenTexts ?? [c.text])).toEqual([['', 'é'], ['', '', '✓']]);
  });

  it('bytes that never form a character are released after 4 ids', () => {
    const out = run([0xc3, 0xc3, 0xc3, 0xc3], {}, 'length');
    expect(out.tokens).toHaveLength(4);
    expect(out.text).toContain('\uFFFD');
  });

  it('maxTokens: finish length on the last id', () => {
    const out = run(ids('abcdef'), { maxTokens: 3 });
    expect(out.text).toBe('abc');
    expect(out.finish).toBe('length');
    expect(out.chunks).toHaveLength(3);
  });

  it('stop token ids end the stream and are reported', () => {
    const out = run([...ids('7'), 259, ...ids('x')], { stopTokens: [259] });
    expect(out.tokens).toEqual([55, 259]);
    expect(out.finish).toBe('stop');
  });

  it('stop strings: the match and what follows are dropped, possible prefixes are held back', () => {
    const out = run(ids('12=3==45=='), { stop: ['=='] });
    expect(out.text).toBe('12=3');
    expect(out.finish).toBe('stop');
    // '=' after '12' was held until '3' showed it was not the start of '=='.
    expect(out.chunks.map((c) => c.text)).toEqual(['1', '2', '=3', '']);
  });

  it('stop strings across a multi-byte character and across control text', () => {
    expect(run(ids('abé!'), { stop: ['é'] }).text).toBe('ab');
    expect(run([...ids('ab'), 258, ...ids('5')], { stop: ['<call>'] }).text).toBe('ab');
    // A match starting inside a multi-character id keeps that id.
    const inside = run([...ids('a'), 258, ...ids('5')], { stop: ['call>5'] });
    expect(inside.tokens).toEqual([97, 258]);
    expect(inside.finish).toBe('stop');
  });

  it('held text is released with the final chunk on length, EOS or abort', () => {
    expect(run(ids('ab='), { stop: ['=='], maxTokens: 3 }).text).toBe('ab=');
    const eos = run([...ids('ab='), 257], { stop: ['=='] });
    expect(eos.text).toBe('ab=');
    expect(eos.chunks[eos.chunks.length - 1]).toMatchObject({ tokens: [61, 257], tokenTexts: ['=', ''], finish: 'eos' });
    expect(run(ids('ab='), { stop: ['=='] }, 'abort')).toMatchObject({ text: 'ab=', finish: 'abort' });
  });

  it('the earliest of several stop strings wins', () => {
    expect(run(ids('xxabcd'), { stop: ['cd', 'ab'] }).text).toBe('xx');
    expect(run(ids('xxabcd'), { stop: ['', 'bc'] }).text).toBe('xxa');
  });
});
