import { RelayError } from '@relayllm/relay-core';
import { parseChatCompletion, parseCompletion, type GenerationDefaults } from './request-mapping';

const DEFAULTS: GenerationDefaults = { modelId: 'relayllm', defaultMaxTokens: 256 };
const chat = (body: Record<string, unknown>) => parseChatCompletion({ model: 'relayllm', messages: [{ role: 'user', content: 'Hi' }], ...body }, 'req-1', DEFAULTS);

function refusal(parse: () => unknown): Pick<RelayError, 'kind' | 'reason' | 'field'> {
  try {
    parse();
  } catch (error) {
    if (!(error instanceof RelayError)) throw error;
    return { kind: error.kind, reason: error.reason, field: error.field };
  }
  throw new Error('expected a RelayError');
}

describe('parseChatCompletion', () => {
  it('maps every served parameter onto the relay request', () => {
    const parsed = chat({
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Compute' }, { type: 'text', text: '2+3.' }] },
      ],
      max_tokens: 64,
      temperature: 0.5,
      top_p: 0.9,
      seed: 7,
      stop: '\n\n',
      stream: true,
      // OpenAI's own objects and parameters stay open to members newer than this server.
      stream_options: { include_usage: true, include_obfuscation: false },
      user: 'u-1',
      relay_policy: 'slm_only',
      relay_limits: { max_turns: 3, max_llm_tokens_per_call: 8, max_llm_tokens_total: 20 },
      n: 3,
      presence_penalty: 0,
      logprobs: false,
      tools: [],
      some_future_field: { ignored: true },
    });
    expect(parsed).toEqual({
      endpoint: 'chat',
      model: 'relayllm',
      stream: true,
      prompts: ['Compute\n2+3.'],
      choicesPerPrompt: 3,
      choices: 3,
      includeUsage: true,
      maxTokensParam: 'max_tokens',
      request: {
        generationId: 'req-1',
        prompt: 'Compute\n2+3.',
        input: { kind: 'messages', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Compute\n2+3.' }] },
        maxTokens: 64,
        sampling: { temperature: 0.5, topP: 0.9, seed: 7 },
        stop: ['\n\n'],
        policy: 'SLM_ONLY',
        maxTurns: 3,
        maxLlmTokensPerCall: 8,
        maxLlmTokensTotal: 20,
      },
    });
  });

  it('leaves unset options to the core defaults; null counts as unset; include_usage only with stream', () => {
    const parsed = chat({ temperature: null, stop: null, stream_options: { include_usage: true } });
    expect(parsed.request).toEqual({ generationId: 'req-1', prompt: 'Hi', input: { kind: 'messages', messages: [{ role: 'user', content: 'Hi' }] }, maxTokens: 256 });
    expect([parsed.stream, parsed.includeUsage]).toEqual([false, false]);
  });

  it('takes max_completion_tokens over max_tokens and remembers which name the caller used', () => {
    const parsed = chat({ max_tokens: 10, max_completion_tokens: 20 });
    expect([parsed.request.maxTokens, parsed.maxTokensParam]).toEqual([20, 'max_completion_tokens']);
  });

  it('passes values on for relay-core to judge (an unknown policy, an out-of-range temperature)', () => {
    const parsed = chat({ relay_policy: 'fastest', temperature: 9 });
    expect([parsed.request.policy, parsed.request.sampling?.temperature]).toEqual(['FASTEST', 9]);
  });

  it.each<[string, Record<string, unknown>, string, string, string | undefined]>([
    ['no model', { model: undefined }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'model'],
    ['another model', { model: 'gpt-4o' }, 'not_found', 'MODEL_NOT_FOUND', 'model'],
    ['no messages', { messages: undefined }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'messages'],
    ['temperature as text', { temperature: '0.5' }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'temperature'],
    ['stream as text', { stream: 'yes' }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'stream'],
    ['stop of numbers', { stop: [1] }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'stop'],
    ['a limit as text', { relay_limits: { max_turns: 'three' } }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'relay_limits.max_turns'],
    // RelayLLM's own objects: a misspelt cap would otherwise leave the generation uncapped.
    ['a misspelt limit', { relay_limits: { max_turns: 3, max_llm_tokens: 8 } }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'relay_limits.max_llm_tokens'],
    ['an unknown role', { messages: [{ role: 'robot', content: 'x' }] }, 'invalid_argument', 'MESSAGES_INVALID', 'messages[0].role'],
    ['a tool message', { messages: [{ role: 'tool', content: 'x' }] }, 'invalid_argument', 'PARAMETER_UNSUPPORTED', 'messages[0].role'],
    ['an image part', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }, 'invalid_argument', 'PARAMETER_UNSUPPORTED', 'messages[0].content[0].type'],
    ['a message that is not an object', { messages: ['Hi'] }, 'invalid_argument', 'MESSAGES_INVALID', 'messages[0]'],
    ['n = 0', { n: 0 }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'n'],
    ['n above 8', { n: 9 }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'n'],
    ['n = 1.5', { n: 1.5 }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'n'],
    ['n as text', { n: '2' }, 'invalid_argument', 'REQUEST_BODY_INVALID', 'n'],
    ['logprobs', { logprobs: true }, 'invalid_argument', 'PARAMETER_UNSUPPORTED', 'logprobs'],
    ['a penalty', { frequency_penalty: 0.5 }, 'invalid_argument', 'PARAMETER_UNSUPPORTED', 'frequency_penalty'],
    ['tools', { tools: [{ type: 'function' }] }, 'invalid_argument', 'PARAMETER_UNSUPPORTED', 'tools'],
    ['structured output', { response_format: { type: 'json_object' } }, 'invalid_argument', 'PARAMETER_UNSUPPORTED', 'response_format'],
  ])('refuses %s, naming the field', (_name, body, kind, reason, field) => {
    expect(refusal(() => chat(body))).toEqual({ kind, reason, field });
  });

  it('refuses a body that is not a JSON object', () => {
    expect(refusal(() => parseChatCompletion([1], 'r', DEFAULTS))).toEqual({ kind: 'invalid_argument', reason: 'REQUEST_BODY_INVALID', field: undefined });
  });
});

describe('parseCompletion', () => {
  const completion = (body: Record<string, unknown>) => parseCompletion({ model: 'relayllm', prompt: 'Q: 2+3=', ...body }, 'req-2', DEFAULTS);

  it('passes the prompt as raw input: no chat template', () => {
    expect(completion({ max_tokens: 8 })).toMatchObject({ endpoint: 'completions', request: { generationId: 'req-2', prompt: 'Q: 2+3=', input: { kind: 'raw' }, maxTokens: 8 } });
    expect(completion({ prompt: ['one'] }).request.prompt).toBe('one');
  });

  it('takes a batch of prompts: each answered by n choices in turn, at most 8 choices in all', () => {
    expect(completion({ prompt: ['a', 'b', 'c'], n: 2 })).toMatchObject({ prompts: ['a', 'b', 'c'], choicesPerPrompt: 2, choices: 6, request: { prompt: 'a' } });
    expect(completion({ prompt: ['a', 'b'] })).toMatchObject({ prompts: ['a', 'b'], choicesPerPrompt: 1, choices: 2 });
    expect(completion({})).toMatchObject({ prompts: ['Q: 2+3='], choicesPerPrompt: 1, choices: 1 });
    expect(completion({ prompt: Array.from({ length: 8 }, (_, i) => `p${i}`) }).choices).toBe(8);
    const tooMany = () => completion({ prompt: ['a', 'b', 'c'], n: 3 });
    expect(refusal(tooMany)).toEqual({ kind: 'invalid_argument', reason: 'REQUEST_BODY_INVALID', field: 'prompt' });
    expect(tooMany).toThrow('3 prompts × n 3 = 9 choices; a request may ask for at most 8');
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['no prompt', { prompt: undefined }, 'REQUEST_BODY_INVALID', 'prompt'],
    ['an empty batch', { prompt: [] }, 'REQUEST_BODY_INVALID', 'prompt'],
    ['a batch holding a non-string', { prompt: ['a', { text: 'b' }] }, 'REQUEST_BODY_INVALID', 'prompt'],
    ['token ids', { prompt: [1, 2] }, 'PARAMETER_UNSUPPORTED', 'prompt'],
    ['a batch of token ids', { prompt: [[1, 2]] }, 'PARAMETER_UNSUPPORTED', 'prompt'],
    ['echo', { echo: true }, 'PARAMETER_UNSUPPORTED', 'echo'],
    ['a suffix', { suffix: 'end' }, 'PARAMETER_UNSUPPORTED', 'suffix'],
    ['best_of', { best_of: 3 }, 'PARAMETER_UNSUPPORTED', 'best_of'],
  ])('refuses %s', (_name, body, reason, field) => {
    expect(refusal(() => completion(body))).toEqual({ kind: 'invalid_argument', reason, field });
  });
});
