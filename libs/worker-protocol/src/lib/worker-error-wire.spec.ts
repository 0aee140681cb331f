import { WorkerError, WorkerErrorKind } from '@relayllm/proto';
import { RELAY_ERROR_KINDS, RelayError, someReasonOf } from '@relayllm/relay-core';
import { fromWorkerError, toWorkerError } from './worker-error-wire';

describe('worker errors on the wire', () => {
  it('round-trips every RelayError kind with reason and field', () => {
    for (const kind of RELAY_ERROR_KINDS) {
      const reason = someReasonOf(kind);
      const back = fromWorkerError(WorkerError.decode(WorkerError.encode(toWorkerError(new RelayError(kind, reason, 'm', { field: 'f' }))).finish()));
      expect([back.kind, back.reason, back.field]).toEqual([kind, reason, 'f']);
    }
  });

  it('wraps foreign errors as unavailable ENGINE_FAILED and reads unknown kinds as internal', () => {
    expect(toWorkerError(new Error('boom'))).toMatchObject({ kind: WorkerErrorKind.WORKER_ERROR_KIND_UNAVAILABLE, reason: 'ENGINE_FAILED' });
    const unknown = fromWorkerError(WorkerError.fromPartial({ kind: 99 as WorkerErrorKind, reason: 'X' }));
    expect([unknown.kind, unknown.field]).toEqual(['internal', undefined]);
  });
});
