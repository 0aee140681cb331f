/**
 * Error translation at the HTTP boundary: RelayError (closed `kind`, stable
 * `reason`, request `field`) -> an HTTP status and OpenAI's error body
 * `{ error: { message, type, param, code } }`. Nothing else in the adapter
 * knows statuses. Messages and stacks of unexpected errors never leave the
 * process.
 */
import { InternalReason, isRelayError, messageWithFieldName, type RelayError, type RelayErrorKind } from '@relayllm/relay-core';
import type { OpenAiErrorBody } from './openai-wire';
import type { MaxTokensParam, OpenAiEndpoint } from './request-mapping';

export const HTTP_STATUS_BY_KIND: Readonly<Record<RelayErrorKind, number>> = {
  invalid_argument: 400,
  unauthenticated: 401,
  not_found: 404,
  failed_precondition: 409,
  resource_exhausted: 429,
  // nginx's "client closed request": only logged, the client is gone.
  cancelled: 499,
  internal: 500,
  unavailable: 503,
  deadline_exceeded: 504,
};

/** OpenAI's error `type` by status family. */
const TYPE_BY_KIND: Readonly<Record<RelayErrorKind, string>> = {
  invalid_argument: 'invalid_request_error',
  unauthenticated: 'authentication_error',
  not_found: 'invalid_request_error',
  failed_precondition: 'invalid_request_error',
  resource_exhausted: 'rate_limit_error',
  cancelled: 'request_cancelled',
  internal: 'server_error',
  unavailable: 'service_unavailable',
  deadline_exceeded: 'timeout',
};

/** The codes OpenAI's own API uses for these conditions (clients branch on them); other reasons are sent lower-cased. */
const OPENAI_CODE_BY_REASON: Readonly<Record<string, string>> = {
  API_KEY_MISSING: 'invalid_api_key',
  API_KEY_INVALID: 'invalid_api_key',
  MODEL_NOT_FOUND: 'model_not_found',
  PROMPT_TOO_LONG: 'context_length_exceeded',
  LLM_TOKEN_QUOTA_EXCEEDED: 'rate_limit_exceeded',
};

/**
 * Core request field paths (RelayError.field) -> the OpenAI parameter the
 * caller wrote. `prompt` is `messages` on chat completions (the prompt of a
 * conversation is its last user message); fields not listed (e.g.
 * `messages[2].role`, `relay_limits.max_turns` from the adapter itself) are
 * already wire paths.
 */
function paramMap(endpoint: OpenAiEndpoint, maxTokensParam: MaxTokensParam): Readonly<Record<string, string>> {
  const prompt = endpoint === 'chat' ? 'messages' : 'prompt';
  return {
    generationId: 'x-request-id',
    prompt,
    promptTokens: prompt,
    input: prompt,
    policy: 'relay_policy',
    maxTokens: maxTokensParam,
    maxTurns: 'relay_limits.max_turns',
    maxLlmTokensPerCall: 'relay_limits.max_llm_tokens_per_call',
    maxLlmTokensTotal: 'relay_limits.max_llm_tokens_total',
    'sampling.temperature': 'temperature',
    'sampling.topP': 'top_p',
    'sampling.seed': 'seed',
    stop: 'stop',
    callBias: 'call_bias',
    confidenceFloor: 'confidence_floor',
    'confidenceFloor.threshold': 'confidence_floor.threshold',
    'confidenceFloor.callTokens': 'confidence_floor.call_tokens',
  };
}

/** Which request the error is about; absent for errors that are not (auth, routes). */
export interface ErrorRequestContext {
  endpoint: OpenAiEndpoint;
  maxTokensParam: MaxTokensParam;
}

export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: OpenAiErrorBody;
  /** false for anything that was not a RelayError (a bug: log it). */
  expected: boolean;
}

/** The OpenAI parameter of a core field path. */
export function openAiParam(field: string, context: ErrorRequestContext | undefined): string {
  if (context === undefined) return field;
  return paramMap(context.endpoint, context.maxTokensParam)[field] ?? field;
}

/** Seconds a client should wait before retrying: the error's own estimate, else one second. */
function retryAfterSeconds(error: RelayError): string {
  return String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000)));
}

/** Any error -> the HTTP response to send. */
export function toHttpError(error: unknown, context?: ErrorRequestContext): HttpError {
  if (!isRelayError(error)) {
    const body = { error: { message: 'internal error', type: TYPE_BY_KIND.internal, param: null, code: 'internal', relay_reason: InternalReason.INTERNAL } };
    return { status: 500, headers: {}, body, expected: false };
  }
  const headers: Record<string, string> = {};
  if (error.kind === 'resource_exhausted' || error.kind === 'unavailable') headers['retry-after'] = retryAfterSeconds(error);
  if (error.kind === 'unauthenticated') headers['www-authenticate'] = 'Bearer';
  const param = error.field === undefined ? null : openAiParam(error.field, context);
  const body: OpenAiErrorBody = {
    error: {
      // The core writes its own field names; the caller reads the parameter it sent (the same rewrite as gRPC's).
      message: param === null ? error.message : messageWithFieldName(error.message, error.field, param),
      type: TYPE_BY_KIND[error.kind],
      param,
      code: OPENAI_CODE_BY_REASON[error.reason] ?? error.reason.toLowerCase(),
      relay_reason: error.reason,
    },
  };
  return { status: HTTP_STATUS_BY_KIND[error.kind], headers, body, expected: true };
}
