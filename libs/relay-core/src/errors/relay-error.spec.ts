import { RELAY_ERROR_KINDS, RelayError, isRelayError, relayErrorFromPayload, toEngineError } from './relay-error';

describe('RelayError', () => {
  it('carries kind, reason, field and cause', () => {
    const cause = new Error('low level');
    const error = new RelayError('invalid_argument', 'MAX_TOKENS_RANGE', 'bad', { field: 'maxTokens', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RelayError');
    expect([error.kind, error.reason, error.field, error.cause]).toEqual(['invalid_argument', 'MAX_TOKENS_RANGE', 'maxTokens', cause]);
  });

  it('has one factory per kind', () => {
    const made = [
      RelayError.invalidArgument('R', 'm'),
      RelayError.resourceExhausted('R', 'm'),
      RelayError.unavailable('R', 'm'),
      RelayError.deadlineExceeded('R', 'm'),
      RelayError.cancelled('R', 'm'),
      RelayError.internal('R', 'm'),
      RelayError.notFound('R', 'm'),
      RelayError.failedPrecondition('R', 'm'),
    ];
    expect(made.map((e) => e.kind)).toEqual([...RELAY_ERROR_KINDS]);
  });

  it('round-trips through its payload', () => {
    const error = RelayError.invalidArgument('PROMPT_EMPTY', 'prompt must not be empty', 'prompt');
    const back = relayErrorFromPayload(JSON.parse(JSON.stringify(error.toPayload())));
    expect(back.toPayload()).toEqual({ kind: 'invalid_argument', reason: 'PROMPT_EMPTY', message: 'prompt must not be empty', field: 'prompt' });
  });

  it('degrades an unknown payload kind to internal instead of throwing', () => {
    const back = relayErrorFromPayload({ kind: 'teapot' as never, reason: '', message: 'x' });
    expect([back.kind, back.reason]).toEqual(['internal', 'UNKNOWN']);
  });

  it('isRelayError narrows by kind', () => {
    const error = RelayError.cancelled('CLIENT_GONE', 'gone');
    expect(isRelayError(error)).toBe(true);
    expect(isRelayError(error, 'cancelled')).toBe(true);
    expect(isRelayError(error, 'internal')).toBe(false);
    expect(isRelayError(new Error('x'))).toBe(false);
  });

  it('toEngineError wraps foreign errors as unavailable ENGINE_FAILED and keeps RelayErrors', () => {
    const cause = new Error('socket closed');
    const wrapped = toEngineError(cause, 'LLM');
    expect([wrapped.kind, wrapped.reason, wrapped.cause]).toEqual(['unavailable', 'ENGINE_FAILED', cause]);
    const own = RelayError.resourceExhausted('POOL_FULL', 'full');
    expect(toEngineError(own, 'LLM')).toBe(own);
  });
});
