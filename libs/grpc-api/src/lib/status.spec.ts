import { Metadata, status } from '@grpc/grpc-js';
import { InvalidArgumentReason, RELAY_ERROR_KINDS, RelayError, someReasonOf } from '@relayllm/relay-core';
import { ERROR_FIELD_METADATA_KEY, ERROR_REASON_METADATA_KEY, relayErrorFromServiceError, toGrpcStatus } from './status';

describe('RelayError <-> gRPC status', () => {
  it.each([
    ['invalid_argument', status.INVALID_ARGUMENT],
    ['resource_exhausted', status.RESOURCE_EXHAUSTED],
    ['unavailable', status.UNAVAILABLE],
    ['deadline_exceeded', status.DEADLINE_EXCEEDED],
    ['cancelled', status.CANCELLED],
    ['not_found', status.NOT_FOUND],
    ['failed_precondition', status.FAILED_PRECONDITION],
    ['internal', status.INTERNAL],
  ] as const)('maps kind %s to code %s', (kind, code) => {
    expect(toGrpcStatus(new RelayError(kind, someReasonOf(kind), 'm')).status.code).toBe(code);
  });

  it('covers every RelayError kind', () => {
    for (const kind of RELAY_ERROR_KINDS) expect(toGrpcStatus(new RelayError(kind, someReasonOf(kind), 'm')).expected).toBe(true);
  });

  it('names the wire field in details and puts reason and field in the trailers', () => {
    const error = RelayError.invalidArgument(InvalidArgumentReason.MAX_TURNS_RANGE, 'maxTurns must be an integer in [1, 64], got 0', 'maxTurns');
    const { status: s } = toGrpcStatus(error);
    expect(s.details).toBe('limits.max_turns: limits.max_turns must be an integer in [1, 64], got 0 (MAX_TURNS_RANGE)');
    expect(s.metadata.get(ERROR_REASON_METADATA_KEY)).toEqual(['MAX_TURNS_RANGE']);
    expect(s.metadata.get(ERROR_FIELD_METADATA_KEY)).toEqual(['limits.max_turns']);
  });

  it('sends a bare INTERNAL for anything that is not a RelayError (no message, no stack)', () => {
    const { status: s, expected } = toGrpcStatus(new TypeError('secret at /srv/app/file.ts:12'));
    expect(expected).toBe(false);
    expect(s).toMatchObject({ code: status.INTERNAL, details: 'internal error' });
    expect(s.metadata.get(ERROR_REASON_METADATA_KEY)).toEqual(['INTERNAL']);
    expect(s.metadata.get(ERROR_FIELD_METADATA_KEY)).toEqual([]);
  });

  it('keeps trailer values printable ASCII', () => {
    const { status: s } = toGrpcStatus(RelayError.invalidArgument(InvalidArgumentReason.STOP_INVALID, 'm', 'f\u00fc'));
    expect(s.metadata.get(ERROR_REASON_METADATA_KEY)).toEqual(['STOP_INVALID']);
    expect(s.metadata.get(ERROR_FIELD_METADATA_KEY)).toEqual(['f?']);
  });

  it('rebuilds a RelayError on the client side', () => {
    const metadata = new Metadata();
    metadata.set(ERROR_REASON_METADATA_KEY, 'PROMPT_EMPTY');
    metadata.set(ERROR_FIELD_METADATA_KEY, 'prompt');
    const error = relayErrorFromServiceError({ code: status.INVALID_ARGUMENT, details: 'prompt: empty', metadata });
    expect(error).toMatchObject({ kind: 'invalid_argument', reason: 'PROMPT_EMPTY', field: 'prompt', message: 'prompt: empty' });
    expect(relayErrorFromServiceError({ code: status.UNIMPLEMENTED, details: 'x', metadata: new Metadata() })).toMatchObject({
      kind: 'internal',
      reason: 'UNKNOWN_REASON',
      message: 'UNIMPLEMENTED: x',
    });
    expect(relayErrorFromServiceError({ code: status.UNAVAILABLE, details: 'No connection established', metadata: new Metadata() })).toMatchObject({
      kind: 'unavailable',
      reason: 'UNKNOWN_REASON',
    });
  });
});
