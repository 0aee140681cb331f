/** Nest injection tokens of the LLM worker. */
export const LLM_WORKER_CONFIG = Symbol('LLM_WORKER_CONFIG');
export const LLM_ENGINE = Symbol('LLM_ENGINE');
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
export const LLM_OBSERVATION = Symbol('LLM_OBSERVATION');

/** Message patterns the NATS transport dispatches to (one per kind of message, not per subject). */
export const LLM_GENERATE_PATTERN = 'llm.generate';
export const LLM_CANCEL_PATTERN = 'llm.cancel';

/** Printed on stdout once the worker takes requests (launchers and tests wait for it). */
export const READY_LINE_PREFIX = 'llm-worker ready';
