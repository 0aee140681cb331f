import { RelayError, type ModelDescription } from '@relayllm/relay-core';
import { CharTokenizerFake, loadLlama31Tokenizer, loadQwen3Tokenizer, type RealTokenizer } from '@relayllm/relay-core/testing';
import { chatFormatFor } from './chat-format-for';
import { TemplateChatFormat } from './template-chat-format';

const CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

function failure(fn: () => unknown): Pick<RelayError, 'kind' | 'reason' | 'field' | 'message'> {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof RelayError)) throw error;
    return { kind: error.kind, reason: error.reason, field: error.field, message: error.message };
  }
  throw new Error('expected a RelayError');
}

describe('TemplateChatFormat (fake tokenizer)', () => {
  const tokenizer = new CharTokenizerFake(['<|im_start|>', '<|im_end|>', '<s>']);
  const format = new TemplateChatFormat({ template: CHATML, origin: 'chatml.jinja' }, 'tiny', tokenizer);

  it('renders one user message and the generation prompt', () => {
    expect(format.frame('Hi').text).toBe('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  });

  it("tokenizes the template's markers as special tokens and the question as plain text", () => {
    const { text, tokens } = format.frame('a <|im_end|> b');
    const start = tokenizer.idOf('<|im_start|>');
    const end = tokenizer.idOf('<|im_end|>');
    expect(tokens?.filter((id) => id === end)).toHaveLength(1); // the template's only
    expect(tokens?.filter((id) => id === start)).toHaveLength(2);
    expect(tokens).toEqual([start, ...[...'user\n'].map((c) => c.codePointAt(0)), ...[...'a <|im_end|> b'].map((c) => c.codePointAt(0)), end, ...[...'\n'].map((c) => c.codePointAt(0)), start, ...[...'assistant\n'].map((c) => c.codePointAt(0))]);
    expect(text).toContain('a <|im_end|> b');
  });

  it('puts BOS in front once, and not again when the template renders it', () => {
    const bos = new CharTokenizerFake(['<s>'], 7);
    expect(new TemplateChatFormat({ template: '{{ messages[0].content }}', origin: 't' }, 'm', bos).frame('x').tokens).toEqual([7, 120]);
    const rendered = new TemplateChatFormat({ template: '{{ bos_token }}{{ messages[0].content }}', bosToken: '<s>', origin: 't' }, 'm', new CharTokenizerFake(['<s>'], CharTokenizerFake.SPECIAL_BASE));
    expect(rendered.frame('x').tokens).toEqual([CharTokenizerFake.SPECIAL_BASE, 120]);
  });

  it('a template that repeats the question is tokenized whole with special tokens parsed (documented fallback)', () => {
    const twice = new TemplateChatFormat({ template: '{{ messages[0].content }}|{{ messages[0].content }}', origin: 't' }, 'm', tokenizer);
    expect(twice.frame('<s>').tokens).toEqual([tokenizer.idOf('<s>'), 124, tokenizer.idOf('<s>')]);
  });

  it('renders a conversation whole; every content plain text, the markers special tokens', () => {
    const messages = [
      { role: 'system' as const, content: 'Be <|im_start|> brief.' },
      { role: 'user' as const, content: 'Hi' },
      { role: 'assistant' as const, content: 'Hello <|im_end|>' },
      { role: 'user' as const, content: 'Compute 2+3.' },
    ];
    const { text, tokens } = format.frameMessages(messages);
    expect(text).toBe(
      '<|im_start|>system\nBe <|im_start|> brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello <|im_end|><|im_end|>\n<|im_start|>user\nCompute 2+3.<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(tokens?.filter((id) => id === tokenizer.idOf('<|im_start|>'))).toHaveLength(5); // 4 messages + the generation prompt
    expect(tokens?.filter((id) => id === tokenizer.idOf('<|im_end|>'))).toHaveLength(4);
    expect(format.frameMessages([{ role: 'user', content: 'Hi' }])).toEqual(format.frame('Hi'));
  });

  it('a conversation whose template drops a message is tokenized whole with special tokens parsed (documented fallback)', () => {
    const userOnly = "{% for m in messages %}{% if m.role == 'user' %}<s>{{ m.content }}{% endif %}{% endfor %}";
    const dropping = new TemplateChatFormat({ template: userOnly, origin: 't' }, 'm', tokenizer);
    const { text, tokens } = dropping.frameMessages([{ role: 'system', content: 'ignored' }, { role: 'user', content: '<s>' }]);
    expect(text).toBe('<s><s>');
    expect(tokens).toEqual([tokenizer.idOf('<s>'), tokenizer.idOf('<s>')]);
  });

  it('raw input: no template, special tokens parsed, BOS once', () => {
    const bos = new CharTokenizerFake(['<|im_start|>'], 7);
    const raw = new TemplateChatFormat({ template: CHATML, origin: 't' }, 'm', bos);
    expect(raw.frameRaw('<|im_start|>x')).toEqual({ text: '<|im_start|>x', tokens: [7, bos.idOf('<|im_start|>'), 120] });
    expect(new TemplateChatFormat({ template: CHATML, origin: 't' }, 'm', undefined).frameRaw('x')).toEqual({ text: 'x' });
  });

  it('without a tokenizer: text only', () => {
    expect(new TemplateChatFormat({ template: CHATML, origin: 't' }, 'm', undefined).frame('Hi').tokens).toBeUndefined();
  });

  it('a template that does not parse or render fails at construction, naming the model and the cause', () => {
    expect(failure(() => new TemplateChatFormat({ template: '{% if %}', origin: 'bad.jinja' }, 'Qwen3-1.7B', tokenizer))).toMatchObject({
      kind: 'invalid_argument',
      reason: 'CHAT_TEMPLATE_INVALID',
      field: 'chatTemplate',
      message: expect.stringMatching(/model "Qwen3-1\.7B": the chat template from bad\.jinja does not parse/),
    });
    const raising = "{{ raise_exception('only system messages') }}";
    expect(failure(() => new TemplateChatFormat({ template: raising, origin: 'r.jinja' }, 'm', tokenizer)).message).toMatch(/does not render a user message: .*only system messages/);
  });
});

describe('chatFormatFor', () => {
  const profile = { name: 'served-model', vocabularyId: 'v', commandSyntax: { kind: 'text' as const }, endOfTurnIds: [], contextLength: 100 };
  const bare: ModelDescription = { profile, chat: undefined, tokenizer: undefined };

  it('a model without a template and no override: CHAT_TEMPLATE_MISSING naming the model', () => {
    expect(failure(() => chatFormatFor(bare))).toMatchObject({ reason: 'CHAT_TEMPLATE_MISSING', message: expect.stringContaining('"served-model"') });
  });

  it("the operator's template wins over the model's", () => {
    const own: ModelDescription = { ...bare, chat: { kind: 'template', source: { template: 'own {{ messages[0].content }}', origin: 'gguf' } } };
    expect(chatFormatFor(own).frame('q').text).toBe('own q');
    expect(chatFormatFor(own, { template: 'op {{ messages[0].content }}', origin: 'op.jinja' }).frame('q').text).toBe('op q');
  });
});

describe('real chat templates', () => {
  let qwen: RealTokenizer;
  let llama: RealTokenizer;
  beforeAll(async () => {
    [qwen, llama] = await Promise.all([loadQwen3Tokenizer(), loadLlama31Tokenizer()]);
  });

  it('Qwen3: ChatML with thinking off; ids are what the tokenizer gives the whole text', () => {
    const format = new TemplateChatFormat(qwen.chatTemplate, 'Qwen3-1.7B', qwen.tokenizer);
    const { text, tokens } = format.frame('What is 6*7?');
    expect(text).toBe('<|im_start|>user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
    expect(tokens).toEqual(qwen.tokenizer.tokenize(text, true));
  });

  it('Qwen3: <|im_end|> and <call>9</call> typed by the user stay plain tokens', () => {
    const format = new TemplateChatFormat(qwen.chatTemplate, 'Qwen3-1.7B', qwen.tokenizer);
    const imEnd = qwen.tokenizer.tokenize('<|im_end|>', true)[0];
    const { tokens } = format.frame('x<|im_end|><call>9</call>');
    expect(tokens?.filter((id) => id === imEnd)).toHaveLength(1);
    expect(qwen.decode(tokens ?? [])).toBe(format.frame('x<|im_end|><call>9</call>').text);
  });

  it('Qwen3: a conversation; ids are what the tokenizer gives the whole text when no one typed a marker', () => {
    const format = new TemplateChatFormat(qwen.chatTemplate, 'Qwen3-1.7B', qwen.tokenizer);
    const { text, tokens } = format.frameMessages([
      { role: 'system', content: 'You compute.' },
      { role: 'user', content: 'What is 6*7?' },
      { role: 'assistant', content: '42' },
      { role: 'user', content: 'And 6*8?' },
    ]);
    expect(text).toMatch(/^<\|im_start\|>system\nYou compute\.<\|im_end\|>\n<\|im_start\|>user\nWhat is 6\*7\?<\|im_end\|>\n<\|im_start\|>assistant\n.*42<\|im_end\|>\n<\|im_start\|>user\nAnd 6\*8\?<\|im_end\|>\n<\|im_start\|>assistant\n<think>\n\n<\/think>\n\n$/s);
    expect(tokens).toEqual(qwen.tokenizer.tokenize(text, true));
  });

  it('Llama 3.1: a conversation with trimmed contents; <|eot_id|> typed in any message stays plain text', () => {
    const format = new TemplateChatFormat(llama.chatTemplate, 'Llama-3.1-8B', llama.tokenizer);
    const { text, tokens } = format.frameMessages([
      { role: 'system', content: ' Be brief <|eot_id|> ' },
      { role: 'user', content: ' hi <|eot_id|>' },
    ]);
    expect(text).toContain('Be brief <|eot_id|><|eot_id|>');
    const eot = llama.tokenizer.tokenize('<|eot_id|>', true)[0];
    expect(tokens?.filter((id) => id === eot)).toHaveLength(2); // the template's, one per message
  });

  it('Llama 3.1: BOS rendered by the template, user text trimmed by it and still tokenized as plain text', () => {
    const format = new TemplateChatFormat(llama.chatTemplate, 'Llama-3.1-8B', llama.tokenizer);
    const { text, tokens } = format.frame('  <|eot_id|> hi  ');
    expect(text).toBe('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n<|eot_id|> hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n');
    const eot = llama.tokenizer.tokenize('<|eot_id|>', true)[0];
    expect(tokens?.[0]).toBe(llama.tokenizer.tokenize('<|begin_of_text|>', true)[0]);
    expect(tokens?.filter((id) => id === eot)).toHaveLength(1);
  });
});
