import {
  DeadlineExceededReason,
  FailedPreconditionReason,
  InternalReason,
  UnauthenticatedReason,
  CancelledReason,
  InvalidArgumentReason,
  kindOfReason,
  NotFoundReason,
  REASONS_BY_KIND,
  ResourceExhaustedReason,
  UnavailableReason,
} from './reasons';
import { RELAY_ERROR_KINDS, RelayError, isRelayError, relayErrorFromPayload, toEngineError } from './relay-error';

describe('RelayError', () => {
  it('is an Error with a closed kind, a registered reason, a field and a cause', () => {
    const cause = new Error('inner');
    const error = new RelayError('unavailable', UnavailableReason.ENGINE_FAILED, 'boom', { field: 'f', cause });
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.kind, error.reason, error.field, error.cause]).toEqual(['RelayError', 'unavailable', 'ENGINE_FAILED', 'f', cause]);
  });

  it('has one factory per kind that has reasons, each making its own kind', () => {
    const made = [
      RelayError.invalidArgument(InvalidArgumentReason.PROMPT_EMPTY, 'm'),
      RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, 'm'),
      RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, 'm'),
      RelayError.deadlineExceeded(DeadlineExceededReason.REQUEST_TIMEOUT, 'm'),
      RelayError.cancelled(CancelledReason.CLIENT_CANCELLED, 'm'),
      RelayError.internal(InternalReason.INTERNAL, 'm'),
      RelayError.notFound(NotFoundReason.MODEL_NOT_FOUND, 'm'),
      RelayError.failedPrecondition(FailedPreconditionReason.REQUEST_ID_IN_USE, 'm'),
      RelayError.unauthenticated(UnauthenticatedReason.API_KEY_MISSING, 'm'),
    ];
    expect(made.map((e) => e.kind)).toEqual(RELAY_ERROR_KINDS);
    for (const e of made) expect(kindOfReason(e.reason)).toBe(e.kind);
  });

  it('carries when a retry may succeed', () => {
    const error = RelayError.resourceExhausted(ResourceExhaustedReason.LLM_TOKEN_QUOTA_EXCEEDED, 'm', { retryAfterMs: 1500 });
    expect(error.retryAfterMs).toBe(1500);
    expect(RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, 'm').retryAfterMs).toBeUndefined();
  });

  it('round-trips through its payload', () => {
    const error = RelayError.invalidArgument(InvalidArgumentReason.PROMPT_EMPTY, 'prompt must not be empty', 'prompt');
    const back = relayErrorFromPayload(JSON.parse(JSON.stringify(error.toPayload())));
    expect(back.toPayload()).toEqual({ kind: 'invalid_argument', reason: 'PROMPT_EMPTY', message: 'prompt must not be empty', field: 'prompt' });
  });

  it('reads a registered reason under the kind the registry gives it, whatever kind the peer sent', () => {
    const back = relayErrorFromPayload({ kind: 'internal', reason: 'WORKER_FULL', message: 'x' });
    expect([back.kind, back.reason]).toEqual(['resource_exhausted', 'WORKER_FULL']);
  });

  it('reads an unknown reason as UNKNOWN_REASON under the peer kind, and an unknown kind as internal', () => {
    expect(relayErrorFromPayload({ kind: 'unavailable', reason: 'FROM_A_NEWER_PEER', message: 'x' })).toMatchObject({ kind: 'unavailable', reason: 'UNKNOWN_REASON' });
    expect(relayErrorFromPayload({ kind: 'teapot', reason: '', message: 'x' })).toMatchObject({ kind: 'internal', reason: 'UNKNOWN_REASON' });
  });

  it('isRelayError narrows by kind', () => {
    const error = RelayError.cancelled(CancelledReason.CLIENT_CANCELLED, 'gone');
    expect(isRelayError(error)).toBe(true);
    expect(isRelayError(error, 'cancelled')).toBe(true);
    expect(isRelayError(error, 'internal')).toBe(false);
    expect(isRelayError(new Error('x'))).toBe(false);
  });

  it('toEngineError wraps foreign errors as unavailable ENGINE_FAILED and keeps RelayErrors', () => {
    const cause = new Error('socket closed');
    const wrapped = toEngineError(cause, 'LLM');
    expect([wrapped.kind, wrapped.reason, wrapped.cause]).toEqual(['unavailable', 'ENGINE_FAILED', cause]);
    const own = RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, 'full');
    expect(toEngineError(own, 'LLM')).toBe(own);
  });
});

describe('the reason registry', () => {
  it('gives every reason exactly one kind, and spells each reason as its own key', () => {
    const seen = new Map<string, string>();
    for (const [kind, reasons] of Object.entries(REASONS_BY_KIND)) {
      for (const [key, reason] of Object.entries(reasons)) {
        expect(reason).toBe(key);
        expect(seen.get(reason)).toBeUndefined();
        seen.set(reason, kind);
      }
    }
    expect(seen.size).toBeGreaterThan(40);
  });

  it('knows no reason outside the registry', () => {
    expect(kindOfReason('SLM_WORKER_FULL')).toBeUndefined();
    expect(kindOfReason('WORKER_FULL')).toBe('resource_exhausted');
  });
});
