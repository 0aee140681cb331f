import { RelayError } from '../errors/relay-error';
import { REFERENCE_COMMAND_SYNTAX } from '../protocol/reference-pair';
import { DEFAULT_MAX_LLM_TOKENS_PER_CALL, DEFAULT_MAX_TURNS, validateRelayRequest, type RelayRequest } from './relay-request';

const user = (content: string) => ({ role: 'user' as const, content });
const base: RelayRequest = { generationId: 'g', prompt: 'Hi', maxTokens: 100 };
const validate = (overrides: Partial<RelayRequest>) => validateRelayRequest({ ...base, ...overrides }, REFERENCE_COMMAND_SYNTAX);

function rejection(overrides: Partial<RelayRequest>): Pick<RelayError, 'kind' | 'reason' | 'field'> {
  try {
    validate(overrides);
  } catch (error) {
    if (!(error instanceof RelayError)) throw error;
    return { kind: error.kind, reason: error.reason, field: error.field };
  }
  throw new Error('expected a RelayError');
}

describe('validateRelayRequest', () => {
  it('fills in the defaults', () => {
    expect(validate({})).toEqual({
      generationId: 'g',
      prompt: 'Hi',
      policy: 'RELAY',
      limits: { maxTokens: 100, maxTurns: DEFAULT_MAX_TURNS, maxLlmTokensPerCall: DEFAULT_MAX_LLM_TOKENS_PER_CALL, maxLlmTokensTotal: 100 },
      sampling: {},
      stop: [],
      callBias: 0,
    });
    expect(DEFAULT_MAX_TURNS).toBe(5);
  });

  it('keeps valid options', () => {
    const v = validate({ policy: 'SLM_ONLY', maxTurns: 1, maxLlmTokensPerCall: 0, maxLlmTokensTotal: 7, sampling: { temperature: 0, topP: 1, seed: 42 }, stop: ['\n\n'], promptTokens: [72, 105] });
    expect(v.policy).toBe('SLM_ONLY');
    expect(v.limits).toEqual({ maxTokens: 100, maxTurns: 1, maxLlmTokensPerCall: 0, maxLlmTokensTotal: 7 });
    expect(v.sampling).toEqual({ temperature: 0, topP: 1, seed: 42 });
    expect(v.promptTokens).toEqual([72, 105]);
  });

  it('keeps a callBias within [-10, 10], the bounds included; -0 is 0', () => {
    expect([-10, -0.5, 3, 10].map((callBias) => validate({ callBias }).callBias)).toEqual([-10, -0.5, 3, 10]);
    expect(Object.is(validate({ callBias: -0 }).callBias, 0)).toBe(true);
  });

  it('accepts a conversation whose prompt is its last user message, and raw input', () => {
    const messages = [{ role: 'system' as const, content: 'Be brief.' }, user('Hi'), { role: 'assistant' as const, content: 'Hello' }];
    expect(validate({ input: { kind: 'messages', messages } }).prompt).toBe('Hi');
    expect(validate({ input: { kind: 'raw' } }).prompt).toBe('Hi');
  });

  it.each<[string, Partial<RelayRequest>, string, string]>([
    ['empty prompt', { prompt: '' }, 'PROMPT_EMPTY', 'prompt'],
    ['prompt too long', { prompt: 'x'.repeat(128_001) }, 'PROMPT_TOO_LONG', 'prompt'],
    ['command ids in promptTokens', { promptTokens: [65, 258] }, 'PROMPT_CONTROL_TOKEN', 'promptTokens'],
    ['negative promptTokens', { promptTokens: [-1] }, 'PROMPT_TOKENS_INVALID', 'promptTokens'],
    ['empty generationId', { generationId: '' }, 'GENERATION_ID_INVALID', 'generationId'],
    ['maxTokens 0', { maxTokens: 0 }, 'MAX_TOKENS_RANGE', 'maxTokens'],
    ['maxTokens fractional', { maxTokens: 1.5 }, 'MAX_TOKENS_RANGE', 'maxTokens'],
    ['maxTokens above the ceiling', { maxTokens: 1_000_000 }, 'MAX_TOKENS_RANGE', 'maxTokens'],
    ['maxTokens NaN', { maxTokens: Number.NaN }, 'MAX_TOKENS_RANGE', 'maxTokens'],
    ['maxTurns 0', { maxTurns: 0 }, 'MAX_TURNS_RANGE', 'maxTurns'],
    ['negative per-call cap', { maxLlmTokensPerCall: -1 }, 'LLM_TOKENS_PER_CALL_RANGE', 'maxLlmTokensPerCall'],
    ['negative LLM total', { maxLlmTokensTotal: -5 }, 'LLM_TOKENS_TOTAL_RANGE', 'maxLlmTokensTotal'],
    ['unknown policy', { policy: 'FASTEST' }, 'UNKNOWN_POLICY', 'policy'],
    ['lower-case policy', { policy: 'relay' }, 'UNKNOWN_POLICY', 'policy'],
    ['temperature above 2', { sampling: { temperature: 2.5 } }, 'TEMPERATURE_RANGE', 'sampling.temperature'],
    ['negative temperature', { sampling: { temperature: -0.1 } }, 'TEMPERATURE_RANGE', 'sampling.temperature'],
    ['topP 0', { sampling: { topP: 0 } }, 'TOP_P_RANGE', 'sampling.topP'],
    ['fractional seed', { sampling: { seed: 1.5 } }, 'SEED_RANGE', 'sampling.seed'],
    ['empty stop string', { stop: [''] }, 'STOP_INVALID', 'stop'],
    ['too many stop strings', { stop: ['a', 'b', 'c', 'd', 'e'] }, 'STOP_INVALID', 'stop'],
    ['stop string with a marker', { stop: ['</call>'] }, 'STOP_INVALID', 'stop'],
    ['no messages', { input: { kind: 'messages', messages: [] } }, 'MESSAGES_INVALID', 'messages'],
    ['messages not a list', { input: { kind: 'messages', messages: 'Hi' as never } }, 'MESSAGES_INVALID', 'messages'],
    ['an unknown role', { input: { kind: 'messages', messages: [{ role: 'tool' as never, content: 'x' }, user('Hi')] } }, 'MESSAGES_INVALID', 'messages[0].role'],
    ['a content that is not text', { input: { kind: 'messages', messages: [user('Hi'), { role: 'user', content: 7 as never }] } }, 'MESSAGES_INVALID', 'messages[1].content'],
    ['a message that is not an object', { input: { kind: 'messages', messages: [null as never] } }, 'MESSAGES_INVALID', 'messages[0]'],
    ['no user message', { input: { kind: 'messages', messages: [{ role: 'system', content: 'Hi' }] } }, 'MESSAGES_INVALID', 'messages'],
    ['a prompt that is not the last user message', { input: { kind: 'messages', messages: [user('Hi'), user('Bye')] } }, 'MESSAGES_INVALID', 'prompt'],
    ['messages too long', { input: { kind: 'messages', messages: [{ role: 'system', content: 'x'.repeat(128_000) }, user('Hi')] } }, 'PROMPT_TOO_LONG', 'messages'],
    ['an unknown input kind', { input: { kind: 'tokens' } as never }, 'PROMPT_INPUT_INVALID', 'input'],
    ['callBias above the bound', { callBias: 10.5 }, 'CALL_BIAS_RANGE', 'callBias'],
    ['callBias below the bound', { callBias: -11 }, 'CALL_BIAS_RANGE', 'callBias'],
    ['callBias NaN', { callBias: Number.NaN }, 'CALL_BIAS_RANGE', 'callBias'],
    ['callBias infinite', { callBias: Number.NEGATIVE_INFINITY }, 'CALL_BIAS_RANGE', 'callBias'],
    ['callBias a string', { callBias: '2' as never }, 'CALL_BIAS_RANGE', 'callBias'],
    ['callBias null', { callBias: null as never }, 'CALL_BIAS_RANGE', 'callBias'],
  ])('rejects %s', (_name, overrides, reason, field) => {
    expect(rejection(overrides)).toEqual({ kind: 'invalid_argument', reason, field });
  });
});
