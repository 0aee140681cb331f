/**
 * RelayError reasons raised by the engines (stable codes; see relay-core's
 * RelayError). Kinds: ENGINE_SEQUENCES_BUSY is resource_exhausted, CONTEXT_* are
 * invalid_argument, ENGINE_NOT_STARTED is failed_precondition, all others unavailable.
 */
export const EngineErrorReasons = {
  /** close() was called (before or during the request). */
  ENGINE_CLOSED: 'ENGINE_CLOSED',
  ENGINE_NOT_STARTED: 'ENGINE_NOT_STARTED',
  /** Every llama.cpp sequence stayed busy for the allowed wait. */
  SEQUENCES_BUSY: 'ENGINE_SEQUENCES_BUSY',
  /** The context leaves no room for a token in the context window. */
  CONTEXT_TOO_LONG: 'CONTEXT_TOO_LONG',
  /** An id outside the vocabulary, or an empty context. */
  CONTEXT_TOKENS_INVALID: 'CONTEXT_TOKENS_INVALID',
  /** The server answered with an HTTP error status. */
  UPSTREAM_HTTP_ERROR: 'UPSTREAM_HTTP_ERROR',
  /** No response headers, or no data, within the configured time. */
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  /** Connection failed (refused, reset, DNS...). */
  UPSTREAM_UNREACHABLE: 'UPSTREAM_UNREACHABLE',
  /** The body ended without finish_reason or [DONE]. */
  UPSTREAM_TRUNCATED: 'UPSTREAM_TRUNCATED',
  /** Not an SSE stream, not JSON, no choices, or a line over the limit. */
  UPSTREAM_MALFORMED: 'UPSTREAM_MALFORMED',
  /** The body exceeded the configured size. */
  UPSTREAM_TOO_LARGE: 'UPSTREAM_TOO_LARGE',
  /** The server sent an error event in the stream. */
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
} as const;
