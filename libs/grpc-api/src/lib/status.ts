/**
 * Error translation at the gRPC boundary: RelayError (closed `kind`, stable
 * `reason`, optional request `field`) <-> gRPC status. Nothing else in the
 * adapter knows gRPC codes. Stack traces and messages of unexpected errors
 * never leave the process.
 */
import { Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { InternalReason, RelayError, relayErrorFromPayload, type RelayErrorKind, isRelayError } from '@relayllm/relay-core';
import { wireErrorMessage, wireFieldPath } from './wire-mapping';

/** Trailing-metadata key carrying RelayError.reason (e.g. MAX_TOKENS_RANGE). */
export const ERROR_REASON_METADATA_KEY = 'relayllm-error-reason';
/** Trailing-metadata key carrying the wire path of the request field concerned (e.g. max_tokens). */
export const ERROR_FIELD_METADATA_KEY = 'relayllm-error-field';

export const GRPC_STATUS_BY_KIND: Readonly<Record<RelayErrorKind, GrpcStatus>> = {
  invalid_argument: GrpcStatus.INVALID_ARGUMENT,
  resource_exhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  unavailable: GrpcStatus.UNAVAILABLE,
  deadline_exceeded: GrpcStatus.DEADLINE_EXCEEDED,
  cancelled: GrpcStatus.CANCELLED,
  not_found: GrpcStatus.NOT_FOUND,
  failed_precondition: GrpcStatus.FAILED_PRECONDITION,
  internal: GrpcStatus.INTERNAL,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
};

const KIND_BY_GRPC_STATUS: ReadonlyMap<number, RelayErrorKind> = new Map(
  Object.entries(GRPC_STATUS_BY_KIND).map(([kind, code]) => [code, kind as RelayErrorKind]),
);

/** Metadata values must be printable ASCII. */
function asciiValue(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);
}

/** A status the server sends; `metadata` becomes the trailers. */
export type RelayStatus = Partial<StatusObject> & { code: GrpcStatus; details: string; metadata: Metadata };

export interface TranslatedError {
  status: RelayStatus;
  /** false for anything that was not a RelayError (a bug or an unexpected failure: log it). */
  expected: boolean;
}

/**
 * Any error -> the gRPC status to send. RelayError: code by kind, details =
 * "<wire field>: <message> (<REASON>)" (the field part only when a field is
 * concerned; the message names the field by its wire name too), reason and field in trailing metadata. Anything else: INTERNAL
 * with a fixed message.
 */
export function toGrpcStatus(error: unknown): TranslatedError {
  const metadata = new Metadata();
  if (!isRelayError(error)) {
    metadata.set(ERROR_REASON_METADATA_KEY, InternalReason.INTERNAL);
    return { status: { code: GrpcStatus.INTERNAL, details: 'internal error', metadata }, expected: false };
  }
  const field = error.field === undefined ? undefined : wireFieldPath(error.field);
  metadata.set(ERROR_REASON_METADATA_KEY, asciiValue(error.reason));
  if (field !== undefined) metadata.set(ERROR_FIELD_METADATA_KEY, asciiValue(field));
  const details = `${field === undefined ? '' : `${field}: `}${wireErrorMessage(error.message, error.field)} (${error.reason})`;
  return { status: { code: GRPC_STATUS_BY_KIND[error.kind] ?? GrpcStatus.INTERNAL, details, metadata }, expected: true };
}

/**
 * Client side: a failed call's ServiceError -> RelayError (kind from the
 * status code, reason / field from the trailers; `field` is the wire path).
 * Codes without a kind (UNKNOWN, UNIMPLEMENTED...) become 'internal'.
 */
export function relayErrorFromServiceError(error: Pick<ServiceError, 'code' | 'details' | 'metadata'>): RelayError {
  const kind = KIND_BY_GRPC_STATUS.get(error.code) ?? 'internal';
  const first = (key: string): string | undefined => {
    const value = error.metadata?.get(key)[0];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const reason = first(ERROR_REASON_METADATA_KEY);
  // A status without our trailer (a proxy, a connection failure, another server) keeps its code name in the message.
  const message = reason === undefined ? `${GrpcStatus[error.code] ?? error.code}: ${error.details}` : error.details;
  return relayErrorFromPayload({ kind, reason, message, field: first(ERROR_FIELD_METADATA_KEY) });
}
