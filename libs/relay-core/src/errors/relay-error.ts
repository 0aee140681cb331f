/**
 * The one error type of the relay. Callers and transports branch on `kind`
 * (a closed set that maps 1:1 onto gRPC-style status codes) and `reason`
 * (a stable machine-readable code); the message is for humans only and must
 * never be parsed.
 */
export const RELAY_ERROR_KINDS = [
  'invalid_argument',
  'resource_exhausted',
  'unavailable',
  'deadline_exceeded',
  'cancelled',
  'internal',
  'not_found',
  'failed_precondition',
] as const;

export type RelayErrorKind = (typeof RELAY_ERROR_KINDS)[number];

/**
 * Reasons raised by relay-core itself. Adapters may use further reasons of
 * their own (any UPPER_SNAKE string), which is why `reason` is a string and
 * not this union.
 */
export const RelayErrorReasons = {
  PROMPT_EMPTY: 'PROMPT_EMPTY',
  PROMPT_TOO_LONG: 'PROMPT_TOO_LONG',
  PROMPT_CONTROL_TOKEN: 'PROMPT_CONTROL_TOKEN',
  PROMPT_TOKENS_INVALID: 'PROMPT_TOKENS_INVALID',
  GENERATION_ID_INVALID: 'GENERATION_ID_INVALID',
  MAX_TOKENS_RANGE: 'MAX_TOKENS_RANGE',
  MAX_TURNS_RANGE: 'MAX_TURNS_RANGE',
  LLM_TOKENS_PER_CALL_RANGE: 'LLM_TOKENS_PER_CALL_RANGE',
  LLM_TOKENS_TOTAL_RANGE: 'LLM_TOKENS_TOTAL_RANGE',
  UNKNOWN_POLICY: 'UNKNOWN_POLICY',
  TEMPERATURE_RANGE: 'TEMPERATURE_RANGE',
  TOP_P_RANGE: 'TOP_P_RANGE',
  SEED_RANGE: 'SEED_RANGE',
  STOP_INVALID: 'STOP_INVALID',
  TTL_RANGE: 'TTL_RANGE',
  MAX_ENTRIES_RANGE: 'MAX_ENTRIES_RANGE',
  ENGINE_FAILED: 'ENGINE_FAILED',
  ENGINE_PROTOCOL: 'ENGINE_PROTOCOL',
  SESSION_STATE: 'SESSION_STATE',
  /** Admission (distributed/admission-queue.ts): the wait queue is full. */
  ADMISSION_QUEUE_FULL: 'ADMISSION_QUEUE_FULL',
  /** Admission: no slot freed up within the host's queue-wait limit. */
  ADMISSION_WAIT_EXPIRED: 'ADMISSION_WAIT_EXPIRED',
  /** Admission: the caller cancelled (or its deadline passed) while queued. */
  ADMISSION_CANCELLED: 'ADMISSION_CANCELLED',
  ADMISSION_LIMIT_RANGE: 'ADMISSION_LIMIT_RANGE',
  /** Generation state (distributed/generation-state.ts): a generation with this request_id is still running. */
  REQUEST_ID_IN_USE: 'REQUEST_ID_IN_USE',
} as const;

export type CoreRelayErrorReason = (typeof RelayErrorReasons)[keyof typeof RelayErrorReasons];

export interface RelayErrorOptions {
  /** Request field the error is about (e.g. 'maxTokens'), for invalid_argument. */
  field?: string;
  cause?: unknown;
}

/** Plain-object form of a RelayError, for carrying it over a transport. */
export interface RelayErrorPayload {
  kind: RelayErrorKind;
  reason: string;
  message: string;
  field?: string;
}

export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly kind: RelayErrorKind;
  readonly reason: string;
  readonly field?: string;

  constructor(kind: RelayErrorKind, reason: string, message: string, options: RelayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.reason = reason;
    if (options.field !== undefined) this.field = options.field;
  }

  static invalidArgument(reason: string, message: string, field?: string): RelayError {
    return new RelayError('invalid_argument', reason, message, { field });
  }

  static resourceExhausted(reason: string, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('resource_exhausted', reason, message, options);
  }

  static unavailable(reason: string, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('unavailable', reason, message, options);
  }

  static deadlineExceeded(reason: string, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('deadline_exceeded', reason, message, options);
  }

  static cancelled(reason: string, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('cancelled', reason, message, options);
  }

  static internal(reason: string, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('internal', reason, message, options);
  }

  static notFound(reason: string, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('not_found', reason, message, options);
  }

  static failedPrecondition(reason: string, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('failed_precondition', reason, message, options);
  }

  toPayload(): RelayErrorPayload {
    const payload: RelayErrorPayload = { kind: this.kind, reason: this.reason, message: this.message };
    if (this.field !== undefined) payload.field = this.field;
    return payload;
  }
}

export function isRelayError(value: unknown, kind?: RelayErrorKind): value is RelayError {
  return value instanceof RelayError && (kind === undefined || value.kind === kind);
}

export function isRelayErrorKind(value: unknown): value is RelayErrorKind {
  return typeof value === 'string' && (RELAY_ERROR_KINDS as readonly string[]).includes(value);
}

/**
 * Rebuilds a RelayError received over a transport. A payload with an unknown
 * kind (e.g. from a newer peer) degrades to 'internal' rather than throwing,
 * so that error reporting itself never fails.
 */
export function relayErrorFromPayload(payload: Partial<RelayErrorPayload>): RelayError {
  const kind = isRelayErrorKind(payload.kind) ? payload.kind : 'internal';
  const reason = typeof payload.reason === 'string' && payload.reason !== '' ? payload.reason : 'UNKNOWN';
  const message = typeof payload.message === 'string' ? payload.message : '';
  return new RelayError(kind, reason, message, {
    field: typeof payload.field === 'string' ? payload.field : undefined,
  });
}

/**
 * Wraps anything an engine threw into a RelayError (kind 'unavailable',
 * reason ENGINE_FAILED) unless it already is one, keeping it as `cause`.
 */
export function toEngineError(error: unknown, engineRole: string): RelayError {
  if (error instanceof RelayError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return RelayError.unavailable(RelayErrorReasons.ENGINE_FAILED, `${engineRole} engine failed: ${detail}`, {
    cause: error,
  });
}
