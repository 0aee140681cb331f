import { CALL_BIAS_LIMIT, REFERENCE_COMMAND_SYNTAX, validateRelayRequest } from '@relayllm/relay-core';
import { toHttpError } from './error-mapping';
import { parseChatCompletion, parseCompletion, type OpenAiEndpoint } from './request-mapping';

const DEFAULTS = { modelId: 'relayllm', defaultMaxTokens: 16 };

/** An HTTP body through the adapter's mapping and the core's validation (what the front door runs), as the HTTP answer. */
function answer(endpoint: OpenAiEndpoint, extra: Record<string, unknown>) {
  const body = endpoint === 'chat' ? { model: 'relayllm', messages: [{ role: 'user', content: 'Hi' }], ...extra } : { model: 'relayllm', prompt: 'Hi', ...extra };
  try {
    const parsed = endpoint === 'chat' ? parseChatCompletion(body, 'g', DEFAULTS) : parseCompletion(body, 'g', DEFAULTS);
    return { validated: validateRelayRequest(parsed.request, REFERENCE_COMMAND_SYNTAX) };
  } catch (error) {
    return { http: toHttpError(error, { endpoint, maxTokensParam: 'max_tokens' }) };
  }
}

describe.each<OpenAiEndpoint>(['chat', 'completions'])('call_bias on %s', (endpoint) => {
  it.each([
    ['above the bound', CALL_BIAS_LIMIT + 1, 'call_bias_range'],
    ['below the bound', -CALL_BIAS_LIMIT - 0.001, 'call_bias_range'],
    // JSON has no NaN; a number too large for a double parses as Infinity.
    ['infinite (1e400)', JSON.parse('1e400') as number, 'call_bias_range'],
    ['a string', '2', 'request_body_invalid'],
    ['a list', [2], 'request_body_invalid'],
    ['true', true, 'request_body_invalid'],
  ])('refuses a value %s: 400 naming call_bias in param and message', (_, value, code) => {
    const { http } = answer(endpoint, { call_bias: value });
    expect(http?.status).toBe(400);
    expect(http?.body.error).toMatchObject({ param: 'call_bias', code, type: 'invalid_request_error' });
    expect(http?.body.error.message).toMatch(/^call_bias must be /);
    expect(http?.body.error.message).not.toContain('callBias');
  });

  it('carries a value within the bound to the relay; absent or null is no bias', () => {
    expect(answer(endpoint, { call_bias: -4 }).validated?.callBias).toBe(-4);
    expect(answer(endpoint, { call_bias: CALL_BIAS_LIMIT }).validated?.callBias).toBe(CALL_BIAS_LIMIT);
    expect(answer(endpoint, {}).validated?.callBias).toBe(0);
    expect(answer(endpoint, { call_bias: null }).validated?.callBias).toBe(0);
  });
});

describe('error messages name the HTTP parameters, not the core fields', () => {
  it.each([
    [{ max_tokens: 0 }, 'max_tokens', /^max_tokens must be an integer/],
    [{ max_completion_tokens: 0 }, 'max_completion_tokens', /^max_completion_tokens must be an integer/],
    [{ top_p: 0 }, 'top_p', /^top_p must be in/],
    [{ relay_limits: { max_turns: 0 } }, 'relay_limits.max_turns', /^relay_limits\.max_turns must be an integer/],
    [{ relay_policy: 'sometimes' }, 'relay_policy', /^unknown relay_policy SOMETIMES$/],
  ])('%j -> param %s', (extra, param, message) => {
    const body = { model: 'relayllm', messages: [{ role: 'user', content: 'Hi' }], ...extra };
    const parsed = parseChatCompletion(body, 'g', DEFAULTS);
    let http;
    try {
      validateRelayRequest(parsed.request, REFERENCE_COMMAND_SYNTAX);
    } catch (error) {
      http = toHttpError(error, { endpoint: 'chat', maxTokensParam: parsed.maxTokensParam });
    }
    expect(http?.body.error.param).toBe(param);
    expect(http?.body.error.message).toMatch(message);
    expect(http?.body.error.message).not.toMatch(/maxTokens|topP|maxTurns|generationId/);
  });

  it('the request id header, when the core refuses it', () => {
    const parsed = parseChatCompletion({ model: 'relayllm', messages: [{ role: 'user', content: 'Hi' }] }, 'x'.repeat(257), DEFAULTS);
    let http;
    try {
      validateRelayRequest(parsed.request, REFERENCE_COMMAND_SYNTAX);
    } catch (error) {
      http = toHttpError(error, { endpoint: 'chat', maxTokensParam: 'max_tokens' });
    }
    expect(http?.body.error).toMatchObject({ param: 'x-request-id', message: 'x-request-id must be 1..256 characters' });
  });
});
