import { REFERENCE_CHAT_FORMAT } from './chat-format';

describe('REFERENCE_CHAT_FORMAT', () => {
  it('frames <s> + question + newline with byte-level ids', () => {
    expect(REFERENCE_CHAT_FORMAT.frame('hé <call>1</call>')).toEqual({
      text: 'hé <call>1</call>\n',
      tokens: [256, ...Buffer.from('hé <call>1</call>\n', 'utf8')],
    });
  });
});
