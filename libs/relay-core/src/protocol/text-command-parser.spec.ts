import type { CommandParserEvent } from './command-rules';
import { TextCommandParser } from './text-command-parser';

type Summary = Array<string | { n: number } | { malformed: string }>;

function summary(events: CommandParserEvent[]): Summary {
  const out: Summary = [];
  for (const e of events) {
    if (e.type === 'text') {
      const last = out[out.length - 1];
      if (typeof last === 'string') out[out.length - 1] = last + e.text;
      else out.push(e.text);
    } else if (e.type === 'command') out.push({ n: e.n });
    else out.push({ malformed: e.reason });
  }
  return out;
}

function parseChunks(chunks: string[]): CommandParserEvent[] {
  const parser = new TextCommandParser();
  return [...chunks.flatMap((c) => parser.push(c)), ...parser.finish()];
}

const CASES: ReadonlyArray<[string, Summary]> = [
  ['plain text', ['plain text']],
  ['a<call>0</call>b', ['a', { n: 0 }, 'b']],
  ['<call>007</call>', [{ n: 7 }]],
  ['The answer<call>25</call>', ['The answer', { n: 25 }]],
  ['a<call></call>b', ['a', { malformed: 'empty' }, 'b']],
  ['<call>1x</call>', [{ malformed: 'non_digit' }]],
  ['<call><b></call>', [{ malformed: 'non_digit' }]],
  ['<call>1234567</call>', [{ malformed: 'too_many_digits' }]],
  ['<call>123456789</call>', [{ malformed: 'too_long' }, '9', { malformed: 'stray_close' }]],
  ['a<call>12', ['a', { malformed: 'unterminated' }]],
  ['a<call>12</cal', ['a', { malformed: 'unterminated' }]],
  ['<call>1<call>2</call>', [{ malformed: 'nested' }, { n: 2 }]],
  ['a</call>b', ['a', { malformed: 'stray_close' }, 'b']],
  ['<<call>3</call>', ['<', { n: 3 }]],
  ['</c<call>3</call>', ['</c', { n: 3 }]],
  ['x < y and </ca', ['x < y and </ca']],
  ['<cal', ['<cal']],
  ['é<call>2</call>😀', ['é', { n: 2 }, '😀']],
  ['<call>😀</call>', [{ malformed: 'non_digit' }]],
  ['<call>٣</call>', [{ malformed: 'non_digit' }]],
];

describe('TextCommandParser', () => {
  it.each(CASES)('%s (one chunk)', (text, expected) => {
    expect(summary(parseChunks([text]))).toEqual(expected);
  });

  it.each(CASES)('%s: same events however the text is split into chunks', (text, expected) => {
    const chars = [...text];
    // Every split into two chunks, plus one character per chunk.
    for (let cut = 0; cut <= chars.length; cut += 1) {
      expect(summary(parseChunks([chars.slice(0, cut).join(''), chars.slice(cut).join('')]))).toEqual(expected);
    }
    expect(summary(parseChunks(chars))).toEqual(expected);
  });

  it('holds back a possible marker prefix until it is decided', () => {
    const parser = new TextCommandParser();
    expect(parser.push('Hi <ca')).toEqual([{ type: 'text', text: 'Hi ', tokens: [] }]);
    expect(parser.push('t')).toEqual([{ type: 'text', text: '<cat', tokens: [] }]);
    expect(parser.push('<call')).toEqual([]);
    expect(parser.push('>5</call>')).toEqual([{ type: 'command', n: 5, raw: '<call>5</call>', tokens: [] }]);
  });

  it('raw of all events reproduces the input exactly', () => {
    const text = 'a<call>12<call>3</call></call><call>x</call>b<ca<call>123456789 tail<call>9';
    const events = parseChunks([...text]);
    expect(events.map((e) => (e.type === 'text' ? e.text : e.raw)).join('')).toBe(text);
  });

  it('never holds more than the maximum command length, whatever is fed', () => {
    const parser = new TextCommandParser();
    parser.push('<call>');
    parser.push('1'.repeat(10_000));
    expect(parser.inCommand).toBe(false);
  });

  it('reset() drops held text and an open command', () => {
    const parser = new TextCommandParser();
    parser.push('<call>1</ca');
    parser.reset();
    expect(parser.inCommand).toBe(false);
    expect(parser.finish()).toEqual([]);
  });
});
