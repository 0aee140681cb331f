import {
  CancelledReason,
  DeadlineExceededReason,
  FailedPreconditionReason,
  InternalReason,
  InvalidArgumentReason,
  NotFoundReason,
  RELAY_ERROR_KINDS,
  RelayError,
  ResourceExhaustedReason,
  UnauthenticatedReason,
  UnavailableReason,
} from '@relayllm/relay-core';
import { HTTP_STATUS_BY_KIND, toHttpError, type ErrorRequestContext } from './error-mapping';

const CHAT: ErrorRequestContext = { endpoint: 'chat', maxTokensParam: 'max_tokens' };
const COMPLETIONS: ErrorRequestContext = { endpoint: 'completions', maxTokensParam: 'max_tokens' };

describe('toHttpError', () => {
  it('gives every error kind a status: 400 401 404 409 429 499 500 503 504', () => {
    expect(Object.keys(HTTP_STATUS_BY_KIND).sort()).toEqual([...RELAY_ERROR_KINDS].sort());
    const statuses = [
      RelayError.invalidArgument(InvalidArgumentReason.PROMPT_EMPTY, 'm'),
      RelayError.unauthenticated(UnauthenticatedReason.API_KEY_MISSING, 'm'),
      RelayError.notFound(NotFoundReason.MODEL_NOT_FOUND, 'm'),
      RelayError.failedPrecondition(FailedPreconditionReason.REQUEST_ID_IN_USE, 'm'),
      RelayError.resourceExhausted(ResourceExhaustedReason.ADMISSION_QUEUE_FULL, 'm'),
      RelayError.cancelled(CancelledReason.CLIENT_CANCELLED, 'm'),
      RelayError.internal(InternalReason.ENGINE_PROTOCOL, 'm'),
      RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, 'm'),
      RelayError.deadlineExceeded(DeadlineExceededReason.REQUEST_TIMEOUT, 'm'),
    ].map((error) => toHttpError(error).status);
    expect(statuses).toEqual([400, 401, 404, 409, 429, 499, 500, 503, 504]);
  });

  it("writes OpenAI's body: message, type, the parameter as the caller named it, a code, the relay reason", () => {
    const error = RelayError.invalidArgument(InvalidArgumentReason.MAX_TURNS_RANGE, 'maxTurns must be an integer in [1, 64], got 0', 'maxTurns');
    expect(toHttpError(error, CHAT)).toEqual({
      status: 400,
      headers: {},
      expected: true,
      body: {
        error: {
          message: 'relay_limits.max_turns must be an integer in [1, 64], got 0',
          type: 'invalid_request_error',
          param: 'relay_limits.max_turns',
          code: 'max_turns_range',
          relay_reason: 'MAX_TURNS_RANGE',
        },
      },
    });
  });

  it.each<[string, string, ErrorRequestContext, string]>([
    ['prompt', 'PROMPT_EMPTY', CHAT, 'messages'],
    ['prompt', 'PROMPT_EMPTY', COMPLETIONS, 'prompt'],
    ['maxTokens', 'MAX_TOKENS_RANGE', CHAT, 'max_tokens'],
    ['maxTokens', 'MAX_TOKENS_RANGE', { endpoint: 'chat', maxTokensParam: 'max_completion_tokens' }, 'max_completion_tokens'],
    ['sampling.temperature', 'TEMPERATURE_RANGE', CHAT, 'temperature'],
    ['sampling.topP', 'TOP_P_RANGE', CHAT, 'top_p'],
    ['policy', 'UNKNOWN_POLICY', CHAT, 'relay_policy'],
    ['generationId', 'GENERATION_ID_INVALID', CHAT, 'x-request-id'],
    ['messages[1].content', 'MESSAGES_INVALID', CHAT, 'messages[1].content'],
  ])('names core field %s (%s) as the OpenAI parameter', (field, reason, context, param) => {
    const error = new RelayError('invalid_argument', reason as InvalidArgumentReason, 'm', { field });
    expect(toHttpError(error, context).body.error.param).toBe(param);
  });

  it("uses OpenAI's codes where clients branch on them", () => {
    expect(toHttpError(RelayError.unauthenticated(UnauthenticatedReason.API_KEY_INVALID, 'm')).body.error.code).toBe('invalid_api_key');
    expect(toHttpError(RelayError.invalidArgument(InvalidArgumentReason.PROMPT_TOO_LONG, 'm', 'prompt'), CHAT).body.error.code).toBe('context_length_exceeded');
    expect(toHttpError(RelayError.notFound(NotFoundReason.MODEL_NOT_FOUND, 'm')).body.error.code).toBe('model_not_found');
  });

  it('says when to retry a refusal for quota or overload (Retry-After, whole seconds, at least 1)', () => {
    const quota = RelayError.resourceExhausted(ResourceExhaustedReason.LLM_TOKEN_QUOTA_EXCEEDED, 'm', { retryAfterMs: 2_300 });
    expect(toHttpError(quota)).toMatchObject({ status: 429, headers: { 'retry-after': '3' }, body: { error: { code: 'rate_limit_exceeded' } } });
    expect(toHttpError(RelayError.resourceExhausted(ResourceExhaustedReason.ADMISSION_QUEUE_FULL, 'm')).headers).toEqual({ 'retry-after': '1' });
    expect(toHttpError(RelayError.unavailable(UnavailableReason.SERVER_SHUTDOWN, 'm')).headers).toEqual({ 'retry-after': '1' });
  });

  it('asks for a bearer key on 401', () => {
    expect(toHttpError(RelayError.unauthenticated(UnauthenticatedReason.API_KEY_MISSING, 'm')).headers).toEqual({ 'www-authenticate': 'Bearer' });
  });

  it('sends anything that is not a RelayError as a bare 500: no message, no stack', () => {
    const http = toHttpError(new Error('secret /etc/path'));
    expect(http).toMatchObject({ status: 500, expected: false, body: { error: { message: 'internal error', code: 'internal', param: null } } });
    expect(JSON.stringify(http.body)).not.toContain('secret');
  });
});
