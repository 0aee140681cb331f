import { lastUserContent, REFERENCE_CHAT_FORMAT } from './chat-format';

describe('REFERENCE_CHAT_FORMAT', () => {
  it('frames <s> + question + newline with byte-level ids', () => {
    expect(REFERENCE_CHAT_FORMAT.frame('hé <call>1</call>')).toEqual({
      text: 'hé <call>1</call>\n',
      tokens: [256, ...Buffer.from('hé <call>1</call>\n', 'utf8')],
    });
  });

  it('frames a conversation as its last user message: the pair was trained on single questions', () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Compute 2+3.' },
      { role: 'assistant' as const, content: '5' },
      { role: 'user' as const, content: 'Compute 4+4.' },
    ];
    expect(REFERENCE_CHAT_FORMAT.frameMessages(messages)).toEqual(REFERENCE_CHAT_FORMAT.frame('Compute 4+4.'));
  });

  it('frames raw input as <s> + the text as written, a typed <call> staying bytes', () => {
    expect(REFERENCE_CHAT_FORMAT.frameRaw('Q <call>2</call>')).toEqual({ text: 'Q <call>2</call>', tokens: [256, ...Buffer.from('Q <call>2</call>', 'utf8')] });
  });
});

describe('lastUserContent', () => {
  it('is the content of the last user message, undefined without one', () => {
    expect(lastUserContent([{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }, { role: 'assistant', content: 'd' }])).toBe('c');
    expect(lastUserContent([{ role: 'system', content: 'a' }])).toBeUndefined();
  });
});
