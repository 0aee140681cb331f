/**
 * The closed registry of error reasons: every reason any part of RelayLLM
 * raises is listed here, under the one kind it is raised with. A reason is a
 * stable machine-readable code that travels on the wire (gRPC trailers, the
 * worker protocols, HTTP error bodies); callers branch on it, so a reason that
 * is not listed here cannot be raised (the RelayError constructors take the
 * kind's union) and the lint forbids spelling one as a string literal.
 *
 * One condition has one name whichever component meets it (a full worker is
 * WORKER_FULL on both the SLM and the LLM side).
 */

export const InvalidArgumentReason = {
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
  /** A store or cache setting (TTL) out of range. */
  TTL_RANGE: 'TTL_RANGE',
  /** A bounded structure's capacity setting out of range. */
  MAX_ENTRIES_RANGE: 'MAX_ENTRIES_RANGE',
  ADMISSION_LIMIT_RANGE: 'ADMISSION_LIMIT_RANGE',
  /** An engine request whose context leaves no room for a token in the context window. */
  CONTEXT_TOO_LONG: 'CONTEXT_TOO_LONG',
  /** An engine request with an id outside the vocabulary, or an empty context. */
  CONTEXT_TOKENS_INVALID: 'CONTEXT_TOKENS_INVALID',
  /** A worker-protocol message out of protocol (e.g. an append before the start of a stream). */
  WORKER_PROTOCOL: 'WORKER_PROTOCOL',
  /** Append offsets that do not fit the context the worker holds for the sequence. */
  APPEND_MISMATCH: 'APPEND_MISMATCH',
  /** A worker-protocol payload that does not decode. */
  PAYLOAD_INVALID: 'PAYLOAD_INVALID',
  /** A chat template (or the tokenizer_config.json holding it) that does not parse or render. */
  CHAT_TEMPLATE_INVALID: 'CHAT_TEMPLATE_INVALID',
  /** The SLM ships no chat template and none was given: prompts cannot be framed. */
  CHAT_TEMPLATE_MISSING: 'CHAT_TEMPLATE_MISSING',
  /** A model description the relay cannot serve (e.g. a served model that does not say its context length). */
  MODEL_DESCRIPTION_INVALID: 'MODEL_DESCRIPTION_INVALID',
  /** A conversation that cannot be framed: no messages, an unknown role, a content that is not text, no user message. */
  MESSAGES_INVALID: 'MESSAGES_INVALID',
  /** A request input kind this build does not know. */
  PROMPT_INPUT_INVALID: 'PROMPT_INPUT_INVALID',
  /** A body that is not the request: HTTP, not a JSON object, a field of the wrong JSON type, or a member RelayLLM's own extension objects (relay_limits, confidence_floor) do not have; gRPC, bytes that are not a GenerateRequest, a field of the wrong wire type, or an int32/enum varint beyond int32. */
  REQUEST_BODY_INVALID: 'REQUEST_BODY_INVALID',
  /** HTTP: a parameter of the OpenAI API this server does not implement (n > 1, tools, logprobs...). */
  PARAMETER_UNSUPPORTED: 'PARAMETER_UNSUPPORTED',
  /** call_bias that is not a finite number within the bound (CALL_BIAS_LIMIT either side of 0). */
  CALL_BIAS_RANGE: 'CALL_BIAS_RANGE',
  /** confidence_floor whose threshold is not in [0, 1] or whose call_tokens is not an integer in [1, FLOOR_CALL_TOKENS_LIMIT]. */
  CONFIDENCE_FLOOR_RANGE: 'CONFIDENCE_FLOOR_RANGE',
} as const;

export const ResourceExhaustedReason = {
  /** Admission: the wait queue is full. */
  ADMISSION_QUEUE_FULL: 'ADMISSION_QUEUE_FULL',
  /** Admission: no slot freed up within the host's queue-wait limit. */
  ADMISSION_WAIT_EXPIRED: 'ADMISSION_WAIT_EXPIRED',
  /** Every llama.cpp sequence of an engine stayed busy for the allowed wait. */
  ENGINE_SEQUENCES_BUSY: 'ENGINE_SEQUENCES_BUSY',
  /** A worker (SLM or LLM) already runs its maximum of sequences. */
  WORKER_FULL: 'WORKER_FULL',
  /** Every worker a relay call was tried on was full. */
  WORKERS_BUSY: 'WORKERS_BUSY',
  /** Too many generates queued on one worker stream. */
  STREAM_BACKLOG_FULL: 'STREAM_BACKLOG_FULL',
  /** The caller's API key has used up its LLM-token quota. */
  LLM_TOKEN_QUOTA_EXCEEDED: 'LLM_TOKEN_QUOTA_EXCEEDED',
} as const;

export const UnavailableReason = {
  /** An engine threw something that was not a RelayError. */
  ENGINE_FAILED: 'ENGINE_FAILED',
  /** close() was called on the engine (before or during the request). */
  ENGINE_CLOSED: 'ENGINE_CLOSED',
  /** OpenAI-compatible upstream: an HTTP error status. */
  UPSTREAM_HTTP_ERROR: 'UPSTREAM_HTTP_ERROR',
  /** OpenAI-compatible upstream: no headers or no data within the configured time. */
  UPSTREAM_TIMEOUT: 'UPSTREAM_TIMEOUT',
  /** OpenAI-compatible upstream: the connection failed. */
  UPSTREAM_UNREACHABLE: 'UPSTREAM_UNREACHABLE',
  /** OpenAI-compatible upstream: the body ended without finish_reason or [DONE]. */
  UPSTREAM_TRUNCATED: 'UPSTREAM_TRUNCATED',
  /** OpenAI-compatible upstream: not SSE, not JSON, no choices, or a line over the limit. */
  UPSTREAM_MALFORMED: 'UPSTREAM_MALFORMED',
  /** OpenAI-compatible upstream: the body exceeded the configured size. */
  UPSTREAM_TOO_LARGE: 'UPSTREAM_TOO_LARGE',
  /** OpenAI-compatible upstream: an error event in the stream. */
  UPSTREAM_ERROR: 'UPSTREAM_ERROR',
  /** No live SLM worker (or every one failed for this generate): an outage, not overload. */
  NO_SLM_WORKER: 'NO_SLM_WORKER',
  /** The SLM stream broke and the bounded failover attempts ran out. */
  SLM_STREAM_FAILED: 'SLM_STREAM_FAILED',
  /** An SLM worker did not accept the stream within the connect timeout. */
  SLM_CONNECT_TIMEOUT: 'SLM_CONNECT_TIMEOUT',
  /** The SLM worker serving a stream left the registry (it left, or its heartbeats stopped: frozen or cut off). */
  SLM_WORKER_GONE: 'SLM_WORKER_GONE',
  /** No LLM worker of the pool is live (none heartbeats, or none could be heard): an outage, not overload. */
  NO_LLM_WORKER: 'NO_LLM_WORKER',
  /** A worker stream was closed under a waiting generate. */
  STREAM_CLOSED: 'STREAM_CLOSED',
  /** A worker (SLM or LLM) is shutting down and takes no new request. */
  WORKER_DRAINING: 'WORKER_DRAINING',
  /** Nobody listens on the chosen LLM subject. */
  LLM_NO_RESPONDERS: 'LLM_NO_RESPONDERS',
  /** An LLM attempt got no reply within its time. */
  LLM_ATTEMPT_TIMEOUT: 'LLM_ATTEMPT_TIMEOUT',
  /** No LLM worker acknowledged the request within the ack deadline (lost). */
  LLM_ACK_TIMEOUT: 'LLM_ACK_TIMEOUT',
  /** The LLM worker running the attempt stopped heartbeating (or left) before replying. */
  LLM_WORKER_GONE: 'LLM_WORKER_GONE',
  /** An LLM reply could not be read. */
  LLM_REPLY_INVALID: 'LLM_REPLY_INVALID',
  /** The NATS link stayed down (or the LLM workers did not come back on it) for all the time the LLM call could wait. */
  LLM_BROKER_DOWN: 'LLM_BROKER_DOWN',
  /** The worker's run of an LLM call ended early though the caller did not abort it (superseded by a duplicate of the request, cancelled, or cut by the worker's shutdown). */
  LLM_RUN_CUT: 'LLM_RUN_CUT',
  /** The shared store (Redis) failed or timed out. */
  REDIS_UNAVAILABLE: 'REDIS_UNAVAILABLE',
  /** The server is shutting down. */
  SERVER_SHUTDOWN: 'SERVER_SHUTDOWN',
  /** The orchestrator has not yet learnt its models from the workers (no agreeing SLM or LLM description). */
  MODELS_NOT_DESCRIBED: 'MODELS_NOT_DESCRIBED',
  /** Another replica took the generation over (this one's lease lapsed while it ran): retry with the same request_id for its result. */
  GENERATION_TAKEN_OVER: 'GENERATION_TAKEN_OVER',
  /** This process's broker (NATS) link stayed down longer than a request may wait for it. */
  BROKER_DOWN: 'BROKER_DOWN',
} as const;

export const DeadlineExceededReason = {
  /** The caller's deadline passed. */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  /** The generation ran past the server's request timeout. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** A remote engine call reached its deadline before an attempt could start. */
  CALL_DEADLINE: 'CALL_DEADLINE',
  /** A worker stopped a generate at the deadline the request carried. */
  WORKER_DEADLINE: 'WORKER_DEADLINE',
} as const;

export const CancelledReason = {
  /** The client cancelled the call. */
  CLIENT_CANCELLED: 'CLIENT_CANCELLED',
  /** The caller cancelled (or its deadline passed) while queued for admission. */
  ADMISSION_CANCELLED: 'ADMISSION_CANCELLED',
  /** The relay stopped reading an engine stream (cancelled, or it had read all it needed). */
  RELAY_ABORTED: 'RELAY_ABORTED',
  /** A worker stream was released or went idle while a generate waited on it. */
  STREAM_RELEASED: 'STREAM_RELEASED',
} as const;

export const InternalReason = {
  /** Anything that was not a RelayError, as reported to a client. */
  INTERNAL: 'INTERNAL',
  /** An engine broke the Engine chunk contract. */
  ENGINE_PROTOCOL: 'ENGINE_PROTOCOL',
  /** A handler ended without a `completed` event. */
  HANDLER_NO_COMPLETION: 'HANDLER_NO_COMPLETION',
  /** A peer sent a reason this build does not know. */
  UNKNOWN_REASON: 'UNKNOWN_REASON',
} as const;

export const NotFoundReason = {
  /** HTTP: the request names a model this server does not serve. */
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  /** HTTP: no route for this method and path. */
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
} as const;

export const FailedPreconditionReason = {
  /** A generation with this request_id is still running. */
  REQUEST_ID_IN_USE: 'REQUEST_ID_IN_USE',
  /** A RelaySession method called out of order. */
  SESSION_STATE: 'SESSION_STATE',
  /** An engine used before start(). */
  ENGINE_NOT_STARTED: 'ENGINE_NOT_STARTED',
  /** The generation already has a stream on this worker. */
  GENERATION_IN_USE: 'GENERATION_IN_USE',
  /** The request names another model than the worker serves. */
  MODEL_MISMATCH: 'MODEL_MISMATCH',
  /** A policy that reads next-token distributions runs on an engine that does not report them. */
  ENGINE_DISTRIBUTIONS_MISSING: 'ENGINE_DISTRIBUTIONS_MISSING',
  /** A non-zero call_bias reached an SLM engine that cannot bias its model's tokens (a text-only OpenAI-compatible server). */
  CALL_BIAS_UNSUPPORTED: 'CALL_BIAS_UNSUPPORTED',
  /** A confidence floor on an SLM engine that does not report the probability of each token it writes (a server that sends no logprobs). */
  CONFIDENCE_FLOOR_UNSUPPORTED: 'CONFIDENCE_FLOOR_UNSUPPORTED',
} as const;

export const UnauthenticatedReason = {
  API_KEY_MISSING: 'API_KEY_MISSING',
  API_KEY_INVALID: 'API_KEY_INVALID',
} as const;

type ValueOf<T> = T[keyof T];

export type InvalidArgumentReason = ValueOf<typeof InvalidArgumentReason>;
export type ResourceExhaustedReason = ValueOf<typeof ResourceExhaustedReason>;
export type UnavailableReason = ValueOf<typeof UnavailableReason>;
export type DeadlineExceededReason = ValueOf<typeof DeadlineExceededReason>;
export type CancelledReason = ValueOf<typeof CancelledReason>;
export type InternalReason = ValueOf<typeof InternalReason>;
export type NotFoundReason = ValueOf<typeof NotFoundReason>;
export type FailedPreconditionReason = ValueOf<typeof FailedPreconditionReason>;
export type UnauthenticatedReason = ValueOf<typeof UnauthenticatedReason>;

/** Every reason of each kind, keyed by the kind (RelayErrorKind). */
export const REASONS_BY_KIND = {
  invalid_argument: InvalidArgumentReason,
  resource_exhausted: ResourceExhaustedReason,
  unavailable: UnavailableReason,
  deadline_exceeded: DeadlineExceededReason,
  cancelled: CancelledReason,
  internal: InternalReason,
  not_found: NotFoundReason,
  failed_precondition: FailedPreconditionReason,
  unauthenticated: UnauthenticatedReason,
} as const;

export type RelayErrorKind = keyof typeof REASONS_BY_KIND;

/** The reasons a RelayError of kind K may carry (distributes over a union of kinds). */
export type ReasonOf<K extends RelayErrorKind> = K extends RelayErrorKind ? ValueOf<(typeof REASONS_BY_KIND)[K]> : never;

/** Every registered reason. */
export type RelayErrorReason = ReasonOf<RelayErrorKind>;

const KIND_OF_REASON: ReadonlyMap<string, RelayErrorKind> = new Map(
  (Object.entries(REASONS_BY_KIND) as [RelayErrorKind, Readonly<Record<string, string>>][]).flatMap(([kind, reasons]) =>
    Object.values(reasons).map((reason) => [reason, kind] as const),
  ),
);

/** The kind a registered reason is raised with, or undefined for a string that is not a registered reason. */
export function kindOfReason(reason: string): RelayErrorKind | undefined {
  return KIND_OF_REASON.get(reason);
}

export function isRelayErrorReason(value: unknown): value is RelayErrorReason {
  return typeof value === 'string' && KIND_OF_REASON.has(value);
}
