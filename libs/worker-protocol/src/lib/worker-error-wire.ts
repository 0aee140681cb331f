import { WorkerError, WorkerErrorKind } from '@relayllm/proto';
import { RelayError, relayErrorFromPayload, toEngineError, type RelayErrorKind } from '@relayllm/relay-core';

/** relay-core's closed error kinds on the wire (WorkerErrorKind), both ways. */
const TO_WIRE: Record<RelayErrorKind, WorkerErrorKind> = {
  invalid_argument: WorkerErrorKind.WORKER_ERROR_KIND_INVALID_ARGUMENT,
  resource_exhausted: WorkerErrorKind.WORKER_ERROR_KIND_RESOURCE_EXHAUSTED,
  unavailable: WorkerErrorKind.WORKER_ERROR_KIND_UNAVAILABLE,
  deadline_exceeded: WorkerErrorKind.WORKER_ERROR_KIND_DEADLINE_EXCEEDED,
  cancelled: WorkerErrorKind.WORKER_ERROR_KIND_CANCELLED,
  internal: WorkerErrorKind.WORKER_ERROR_KIND_INTERNAL,
  not_found: WorkerErrorKind.WORKER_ERROR_KIND_NOT_FOUND,
  failed_precondition: WorkerErrorKind.WORKER_ERROR_KIND_FAILED_PRECONDITION,
  unauthenticated: WorkerErrorKind.WORKER_ERROR_KIND_UNAUTHENTICATED,
};

const FROM_WIRE = new Map<WorkerErrorKind, RelayErrorKind>(
  (Object.entries(TO_WIRE) as [RelayErrorKind, WorkerErrorKind][]).map(([kind, wire]) => [wire, kind]),
);

/** Any error as a WorkerError: a RelayError keeps kind/reason/field; anything else is unavailable ENGINE_FAILED. */
export function toWorkerError(error: unknown, role = 'worker'): WorkerError {
  const relay = error instanceof RelayError ? error : toEngineError(error, role);
  return WorkerError.fromPartial({ kind: TO_WIRE[relay.kind], reason: relay.reason, message: relay.message, field: relay.field ?? '' });
}

/** A received WorkerError as a RelayError (unknown kinds degrade to internal). */
export function fromWorkerError(error: WorkerError): RelayError {
  return relayErrorFromPayload({
    kind: FROM_WIRE.get(error.kind) ?? 'internal',
    reason: error.reason,
    message: error.message,
    field: error.field === '' ? undefined : error.field,
  });
}
