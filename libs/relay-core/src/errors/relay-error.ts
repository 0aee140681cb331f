/**
 * The one error type of the relay. Callers and transports branch on `kind`
 * (a closed set that maps 1:1 onto gRPC-style status codes) and `reason`
 * (a stable machine-readable code from the closed registry in reasons.ts);
 * the message is for humans only and must never be parsed.
 */
import {
  InternalReason,
  kindOfReason,
  REASONS_BY_KIND,
  UnavailableReason,
  type CancelledReason,
  type DeadlineExceededReason,
  type FailedPreconditionReason,
  type InvalidArgumentReason,
  type NotFoundReason,
  type ReasonOf,
  type RelayErrorKind,
  type RelayErrorReason,
  type ResourceExhaustedReason,
  type UnauthenticatedReason,
} from './reasons';

export type { RelayErrorKind, RelayErrorReason } from './reasons';

export const RELAY_ERROR_KINDS = Object.keys(REASONS_BY_KIND) as readonly RelayErrorKind[];

export interface RelayErrorOptions {
  /** Request field the error is about (e.g. 'maxTokens'), for invalid_argument. */
  field?: string;
  cause?: unknown;
  /** When a retry may succeed (quota, overload), in ms from now; HTTP sends it as Retry-After. */
  retryAfterMs?: number;
}

/** A reason of `kind` (the first registered one; UNKNOWN_REASON for a kind without reasons), for code that must make an error of any kind. */
export function someReasonOf(kind: RelayErrorKind): RelayErrorReason {
  return (Object.values(REASONS_BY_KIND[kind]) as RelayErrorReason[])[0] ?? InternalReason.UNKNOWN_REASON;
}

/** Plain-object form of a RelayError, for carrying it over a transport. */
export interface RelayErrorPayload {
  kind: RelayErrorKind;
  reason: RelayErrorReason;
  message: string;
  field?: string;
}

export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly kind: RelayErrorKind;
  readonly reason: RelayErrorReason;
  readonly field?: string;
  readonly retryAfterMs?: number;

  /** Prefer the kind's static constructor: it only takes that kind's reasons. */
  constructor(kind: RelayErrorKind, reason: RelayErrorReason, message: string, options: RelayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.reason = reason;
    if (options.field !== undefined) this.field = options.field;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  static invalidArgument(reason: InvalidArgumentReason, message: string, field?: string): RelayError {
    return new RelayError('invalid_argument', reason, message, { field });
  }

  static resourceExhausted(reason: ResourceExhaustedReason, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('resource_exhausted', reason, message, options);
  }

  static unavailable(reason: UnavailableReason, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('unavailable', reason, message, options);
  }

  static deadlineExceeded(reason: DeadlineExceededReason, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('deadline_exceeded', reason, message, options);
  }

  static cancelled(reason: CancelledReason, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('cancelled', reason, message, options);
  }

  static internal(reason: InternalReason, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('internal', reason, message, options);
  }

  static failedPrecondition(reason: FailedPreconditionReason, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('failed_precondition', reason, message, options);
  }

  static notFound(reason: NotFoundReason, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('not_found', reason, message, options);
  }

  static unauthenticated(reason: UnauthenticatedReason, message: string, options?: RelayErrorOptions): RelayError {
    return new RelayError('unauthenticated', reason, message, options);
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

/** What a transport received: any strings, possibly from a newer or broken peer. */
export interface ReceivedErrorPayload {
  kind?: string;
  reason?: string;
  message?: string;
  field?: string;
}

/**
 * Rebuilds a RelayError received over a transport. A registered reason keeps
 * the kind the registry gives it (errors are classified once, where they are
 * raised); a reason this build does not know becomes UNKNOWN_REASON under the
 * peer's kind (internal when that is unknown too), so that error reporting
 * itself never fails.
 */
export function relayErrorFromPayload(payload: ReceivedErrorPayload): RelayError {
  const message = typeof payload.message === 'string' ? payload.message : '';
  const field = typeof payload.field === 'string' && payload.field !== '' ? payload.field : undefined;
  const registeredKind = typeof payload.reason === 'string' ? kindOfReason(payload.reason) : undefined;
  if (registeredKind !== undefined && payload.reason !== InternalReason.UNKNOWN_REASON) {
    return new RelayError(registeredKind, payload.reason as ReasonOf<typeof registeredKind>, message, { field });
  }
  const kind = isRelayErrorKind(payload.kind) ? payload.kind : 'internal';
  return new RelayError(kind, InternalReason.UNKNOWN_REASON, message, { field });
}

/**
 * Wraps anything an engine threw into a RelayError (kind 'unavailable',
 * reason ENGINE_FAILED) unless it already is one, keeping it as `cause`.
 */
export function toEngineError(error: unknown, engineRole: string): RelayError {
  if (error instanceof RelayError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return RelayError.unavailable(UnavailableReason.ENGINE_FAILED, `${engineRole} engine failed: ${detail}`, {
    cause: error,
  });
}
