import {
  DEFAULT_FLOOR_CALL_TOKENS,
  FLOOR_CALL_TOKENS_LIMIT,
  REFERENCE_COMMAND_SYNTAX,
  REFERENCE_PAIR_PROFILE,
  runRelay,
  validateRelayRequest,
} from '@relayllm/relay-core';
import { ManualClock, ScriptedEngine } from '@relayllm/relay-core/testing';
import { toHttpError } from './error-mapping';
import { parseChatCompletion, parseCompletion, type OpenAiEndpoint } from './request-mapping';

const DEFAULTS = { modelId: 'relayllm', defaultMaxTokens: 16 };

/** An HTTP body through the adapter's mapping and the core's validation (what the front door runs), as the HTTP answer. */
function answer(endpoint: OpenAiEndpoint, extra: Record<string, unknown>) {
  const body = endpoint === 'chat' ? { model: 'relayllm', messages: [{ role: 'user', content: 'Hi' }], ...extra } : { model: 'relayllm', prompt: 'Hi', ...extra };
  try {
    const parsed = endpoint === 'chat' ? parseChatCompletion(body, 'g', DEFAULTS) : parseCompletion(body, 'g', DEFAULTS);
    return { parsed: parsed.request, validated: validateRelayRequest(parsed.request, REFERENCE_COMMAND_SYNTAX) };
  } catch (error) {
    return { http: toHttpError(error, { endpoint, maxTokensParam: 'max_tokens' }) };
  }
}

// JSON has no NaN; a number too large for a double parses as Infinity.
const INFINITE = JSON.parse('1e400') as number;

describe.each<OpenAiEndpoint>(['chat', 'completions'])('confidence_floor on %s', (endpoint) => {
  it.each<[string, unknown, string, string, RegExp]>([
    ['a threshold above 1', { threshold: 1.5 }, 'confidence_floor.threshold', 'confidence_floor_range', /^confidence_floor\.threshold must be a number in \[0, 1\], got 1\.5$/],
    ['a threshold below 0', { threshold: -0.1 }, 'confidence_floor.threshold', 'confidence_floor_range', /^confidence_floor\.threshold must be a number in \[0, 1\], got -0\.1$/],
    ['an infinite threshold (1e400)', { threshold: INFINITE }, 'confidence_floor.threshold', 'confidence_floor_range', /^confidence_floor\.threshold must be a number in \[0, 1\], got Infinity$/],
    ['a threshold as a string', { threshold: '0.5' }, 'confidence_floor.threshold', 'request_body_invalid', /^confidence_floor\.threshold must be a number$/],
    ['no threshold', { call_tokens: 4 }, 'confidence_floor.threshold', 'confidence_floor_range', /^confidence_floor\.threshold is required$/],
    ['an empty object', {}, 'confidence_floor.threshold', 'confidence_floor_range', /^confidence_floor\.threshold is required$/],
    ['call_tokens 0', { threshold: 0.5, call_tokens: 0 }, 'confidence_floor.call_tokens', 'confidence_floor_range', /^confidence_floor\.call_tokens must be an integer in \[1, 256\], got 0$/],
    ['call_tokens 257', { threshold: 0.5, call_tokens: FLOOR_CALL_TOKENS_LIMIT + 1 }, 'confidence_floor.call_tokens', 'confidence_floor_range', /^confidence_floor\.call_tokens must be an integer in \[1, 256\], got 257$/],
    ['call_tokens 2.5', { threshold: 0.5, call_tokens: 2.5 }, 'confidence_floor.call_tokens', 'confidence_floor_range', /^confidence_floor\.call_tokens must be an integer in \[1, 256\], got 2\.5$/],
    ['call_tokens as a string', { threshold: 0.5, call_tokens: '4' }, 'confidence_floor.call_tokens', 'request_body_invalid', /^confidence_floor\.call_tokens must be a number$/],
    ['confidence_floor as a number', 0.7, 'confidence_floor', 'request_body_invalid', /^confidence_floor must be an object$/],
    ['confidence_floor as a list', [0.7, 4], 'confidence_floor', 'request_body_invalid', /^confidence_floor must be an object$/],
    ['confidence_floor as a string', '0.7', 'confidence_floor', 'request_body_invalid', /^confidence_floor must be an object$/],
    // A misspelt member would otherwise run the request on the default call length (or as no threshold).
    ['a misspelt call_tokens', { threshold: 0.7, call_token: 8 }, 'confidence_floor.call_token', 'request_body_invalid', /^confidence_floor\.call_token is unknown; the members are threshold, call_tokens$/],
    ['a misspelt threshold', { treshold: 0.7 }, 'confidence_floor.treshold', 'request_body_invalid', /^confidence_floor\.treshold is unknown; the members are threshold, call_tokens$/],
  ])('refuses %s: 400 naming the wire field in param and message', (_, value, param, code, message) => {
    const { http } = answer(endpoint, { confidence_floor: value });
    expect(http?.status).toBe(400);
    expect(http?.body.error).toMatchObject({ param, code, relay_reason: code.toUpperCase(), type: 'invalid_request_error' });
    expect(http?.body.error.message).toMatch(message);
    expect(http?.body.error.message).not.toMatch(/confidenceFloor|callTokens/);
  });

  it('carries a floor to the relay, call_tokens defaulting to 4; the bounds are accepted', () => {
    expect(answer(endpoint, { confidence_floor: { threshold: 0.7 } }).validated?.confidenceFloor).toEqual({ threshold: 0.7, callTokens: DEFAULT_FLOOR_CALL_TOKENS });
    expect(DEFAULT_FLOOR_CALL_TOKENS).toBe(4);
    expect(answer(endpoint, { confidence_floor: { threshold: 0.5, call_tokens: 8 } }).validated?.confidenceFloor).toEqual({ threshold: 0.5, callTokens: 8 });
    expect(answer(endpoint, { confidence_floor: { threshold: 1, call_tokens: FLOOR_CALL_TOKENS_LIMIT } }).validated?.confidenceFloor).toEqual({ threshold: 1, callTokens: 256 });
    expect(answer(endpoint, { confidence_floor: { threshold: 0.01, call_tokens: 1 } }).validated?.confidenceFloor).toEqual({ threshold: 0.01, callTokens: 1 });
    // OpenAI clients send null for an unset option: call_tokens null is the default, and a null member is absent, even an unknown one.
    expect(answer(endpoint, { confidence_floor: { threshold: 0.7, call_tokens: null } }).validated?.confidenceFloor).toEqual({ threshold: 0.7, callTokens: 4 });
    expect(answer(endpoint, { confidence_floor: { threshold: 0.7, later_member: null } }).validated?.confidenceFloor).toEqual({ threshold: 0.7, callTokens: 4 });
  });

  it('threshold 0 is no floor; absent or null is none', () => {
    expect(answer(endpoint, { confidence_floor: { threshold: 0 } }).validated).toBeDefined();
    expect(answer(endpoint, { confidence_floor: { threshold: 0 } }).validated?.confidenceFloor).toBeUndefined();
    expect(answer(endpoint, { confidence_floor: { threshold: 0, call_tokens: 8 } }).validated?.confidenceFloor).toBeUndefined();
    const absent = answer(endpoint, {});
    expect(absent.validated).toBeDefined();
    expect(absent.validated?.confidenceFloor).toBeUndefined();
    expect(absent.parsed !== undefined && 'confidenceFloor' in absent.parsed).toBe(false);
    const nulled = answer(endpoint, { confidence_floor: null });
    expect(nulled.validated).toBeDefined();
    expect(nulled.validated?.confidenceFloor).toBeUndefined();
  });

  it('is independent of call_bias: both knobs reach the relay', () => {
    const { validated } = answer(endpoint, { call_bias: -2, confidence_floor: { threshold: 0.6, call_tokens: 2 } });
    expect(validated).toMatchObject({ callBias: -2, confidenceFloor: { threshold: 0.6, callTokens: 2 } });
  });
});

describe('confidence_floor on an SLM that reports no token probabilities', () => {
  it('is a 409 confidence_floor_unsupported naming confidence_floor, the relay-core refusal as the caller reads it', async () => {
    const { parsed } = answer('chat', { confidence_floor: { threshold: 0.5 } });
    if (parsed === undefined) throw new Error('the request was refused');
    // An SLM served by an OpenAI-compatible server: text chunks, no ids, no probabilities.
    const slm = new ScriptedEngine(['ab</s>'], { mode: 'text' });
    const events = runRelay({ slm, llm: new ScriptedEngine([]), clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, parsed, new AbortController().signal);
    let failure: unknown;
    try {
      for await (const event of events) if (event.type === 'completed') throw new Error('the relay ran without the probabilities it needs');
    } catch (error) {
      failure = error;
    }
    const http = toHttpError(failure, { endpoint: 'chat', maxTokensParam: 'max_tokens' });
    expect(http.status).toBe(409);
    expect(http.body.error).toMatchObject({
      param: 'confidence_floor',
      code: 'confidence_floor_unsupported',
      relay_reason: 'CONFIDENCE_FLOOR_UNSUPPORTED',
      type: 'invalid_request_error',
    });
    expect(http.body.error.message).toMatch(/^confidence_floor needs the probability of each token/);
    expect(http.body.error.message).not.toContain('confidenceFloor');
  });
});
