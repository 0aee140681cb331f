import { encodeScript } from '../testing/reference-tokenizer';
import type { CommandParserEvent } from './command-rules';
import { REFERENCE_COMMAND_SYNTAX } from './reference-pair';
import { TokenCommandParser } from './token-command-parser';
import { BYTE_LEVEL_TOKEN_IDS } from './vocabulary';

const { CALL, END_CALL } = BYTE_LEVEL_TOKEN_IDS;

/** Feeds a script token by token, then finish(); returns all events. */
function parse(script: string, parser = new TokenCommandParser(REFERENCE_COMMAND_SYNTAX)): CommandParserEvent[] {
  const events = encodeScript(script).flatMap((t) => parser.push(t.id, t.text));
  return [...events, ...parser.finish()];
}

/** Compact form: text pieces merged, commands as {n} / {malformed}. */
function summary(events: CommandParserEvent[]): Array<string | { n: number } | { malformed: string }> {
  const out: Array<string | { n: number } | { malformed: string }> = [];
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

describe('TokenCommandParser', () => {
  it('passes plain tokens through one by one', () => {
    const parser = new TokenCommandParser(REFERENCE_COMMAND_SYNTAX);
    expect(parser.push(104, 'h')).toEqual([{ type: 'text', text: 'h', tokens: [104] }]);
    expect(parser.inCommand).toBe(false);
  });

  it('reports a complete command with its raw text and ids', () => {
    const parser = new TokenCommandParser(REFERENCE_COMMAND_SYNTAX);
    expect(parser.push(CALL, '<call>')).toEqual([]);
    expect(parser.inCommand).toBe(true);
    expect(parser.push(0x34, '4')).toEqual([]);
    expect(parser.push(0x32, '2')).toEqual([]);
    expect(parser.push(END_CALL, '</call>')).toEqual([
      { type: 'command', n: 42, raw: '<call>42</call>', tokens: [CALL, 0x34, 0x32, END_CALL] },
    ]);
    expect(parser.inCommand).toBe(false);
  });

  it.each([
    ['a<call>0</call>b', ['a', { n: 0 }, 'b']],
    ['<call>007</call>', [{ n: 7 }]],
    ['<call>999999</call>', [{ n: 999999 }]],
    ['a<call></call>b', ['a', { malformed: 'empty' }, 'b']],
    ['<call>1x</call>', [{ malformed: 'non_digit' }]],
    ['<call> 1</call>', [{ malformed: 'non_digit' }]],
    ['<call>1234567</call>', [{ malformed: 'too_many_digits' }]],
    ['<call>12345678</call>', [{ malformed: 'too_many_digits' }]],
    ['<call>123456789</call>', [{ malformed: 'too_long' }, '9', { malformed: 'stray_close' }]],
    ['<call>hello world', [{ malformed: 'too_long' }, 'rld']],
    ['a<call>12', ['a', { malformed: 'unterminated' }]],
    ['<call>', [{ malformed: 'unterminated' }]],
    ['<call>1<call>2</call>', [{ malformed: 'nested' }, { n: 2 }]],
    ['<call><call><call>', [{ malformed: 'nested' }, { malformed: 'nested' }, { malformed: 'unterminated' }]],
    ['a</call>b', ['a', { malformed: 'stray_close' }, 'b']],
    ['x<call>3</call>y<call>4</call>', ['x', { n: 3 }, 'y', { n: 4 }]],
  ])('%s', (script, expected) => {
    expect(summary(parse(script))).toEqual(expected);
  });

  it('treats the literal characters "<call>" (plain bytes) as text: only control ids are commands', () => {
    const parser = new TokenCommandParser(REFERENCE_COMMAND_SYNTAX);
    const bytes = [...'<call>5</call>'].map((ch) => parser.push(ch.charCodeAt(0), ch)).flat();
    expect(bytes.every((e) => e.type === 'text')).toBe(true);
    expect(bytes.map((e) => (e.type === 'text' ? e.text : '')).join('')).toBe('<call>5</call>');
  });

  it('never holds more than the maximum command length, whatever is fed', () => {
    const parser = new TokenCommandParser(REFERENCE_COMMAND_SYNTAX);
    parser.push(CALL, '<call>');
    for (let i = 0; i < 1000; i += 1) parser.push(0x31, '1');
    expect(parser.inCommand).toBe(false);
  });

  it('keeps every id: raw of all events reproduces the input', () => {
    const script = 'a<call>12<call>3</call></call><call>x</call>b<call>9';
    const tokens = encodeScript(script);
    const events = parse(script);
    expect(events.flatMap((e) => e.tokens)).toEqual(tokens.map((t) => t.id));
  });

  it('reset() drops an open command', () => {
    const parser = new TokenCommandParser(REFERENCE_COMMAND_SYNTAX);
    parser.push(CALL, '<call>');
    parser.reset();
    expect(parser.inCommand).toBe(false);
    expect(parser.finish()).toEqual([]);
  });

  it('uses the given syntax for control tokens and digits', () => {
    const parser = new TokenCommandParser({ kind: 'token', callId: 1, endCallId: 2, digitsOf: (id) => (id >= 10 && id <= 19 ? String(id - 10) : undefined) });
    expect(summary([...parser.push(1, '<call>'), ...parser.push(15, '5'), ...parser.push(2, '</call>')])).toEqual([{ n: 5 }]);
  });

  it('reads a token of several digits (a tokenizer with multi-digit number tokens), still capped at the digit limit', () => {
    const digitsOf = (id: number): string | undefined => ({ 10: '12', 11: '345', 12: '6789' } as Record<number, string>)[id];
    const parser = new TokenCommandParser({ kind: 'token', callId: 1, endCallId: 2, digitsOf });
    expect(summary([...parser.push(1, '<call>'), ...parser.push(10, '12'), ...parser.push(11, '345'), ...parser.push(2, '</call>')])).toEqual([{ n: 12345 }]);
    expect(summary([...parser.push(1, '<call>'), ...parser.push(11, '345'), ...parser.push(12, '6789'), ...parser.push(2, '</call>')])).toEqual([
      { malformed: 'too_many_digits' },
    ]);
  });
});
