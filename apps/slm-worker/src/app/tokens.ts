/** Nest injection tokens of the SLM worker. */
export const SLM_WORKER_CONFIG = Symbol('SLM_WORKER_CONFIG');
export const SLM_ENGINE = Symbol('SLM_ENGINE');
/** The gRPC server's credentials (TLS / mTLS; plaintext by default). */
export const SLM_SERVER_CREDENTIALS = Symbol('SLM_SERVER_CREDENTIALS');

/** Printed on stdout once the worker serves (launchers and tests wait for it): `slm-worker ready id=<id> address=<host:port> ...`. */
export const READY_LINE_PREFIX = 'slm-worker ready';
