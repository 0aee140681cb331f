/**
 * RelayError reasons raised by the SLM-over-gRPC adapter (stable codes; see
 * relay-core's RelayError). Kinds are given per reason.
 */
export const SlmRemoteErrorReasons = {
  /** unavailable: the directory lists no live SLM worker (or every one failed for this generate). */
  NO_SLM_WORKER: 'NO_SLM_WORKER',
  /** unavailable: the stream to the worker broke and the bounded failover attempts ran out. */
  SLM_STREAM_FAILED: 'SLM_STREAM_FAILED',
  /** unavailable: the worker did not accept the stream (response headers) within the connect timeout. */
  SLM_CONNECT_TIMEOUT: 'SLM_CONNECT_TIMEOUT',
  /** resource_exhausted: the worker already serves its maximum of streams. */
  WORKER_FULL: 'SLM_WORKER_FULL',
  /** unavailable: the worker is shutting down. */
  WORKER_SHUTDOWN: 'SLM_WORKER_SHUTDOWN',
  /** invalid_argument: a frame out of protocol (append before start, start twice, empty frame, frame too large). */
  PROTOCOL: 'SLM_PROTOCOL',
  /** failed_precondition: the generation already has a stream on this worker. */
  GENERATION_IN_USE: 'SLM_GENERATION_IN_USE',
  /** invalid_argument: append offsets do not fit the context the stream holds. */
  APPEND_MISMATCH: 'SLM_APPEND_MISMATCH',
  /** deadline_exceeded: the generate ran past its deadline_ms. */
  GENERATE_DEADLINE: 'SLM_GENERATE_DEADLINE',
  /** cancelled: the stream was closed (released, idle) while a generate waited on it. */
  STREAM_CLOSED: 'SLM_STREAM_CLOSED',
} as const;
