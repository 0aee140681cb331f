// The one mapper between relay-core's engine types and the worker protocols' messages (proto/relayllm/v1/engine.proto),
// used by both roles on both ends: the SLM stream (libs/slm-remote) and the LLM over NATS (libs/llm-pool, apps/llm-worker).
export * from './lib/engine-request-wire';
export * from './lib/engine-chunks-wire';
export * from './lib/worker-error-wire';
export * from './lib/model-description-wire';
