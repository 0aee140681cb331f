// Cluster policy, pure: what a deployment of several replicas and workers
// decides, with no transport. Test doubles, if any, are reached through
// `@relayllm/relay-cluster/testing`, never from here.

// The shared key/value store port and its in-process implementation
export * from './ports/key-value-store';
export * from './store/in-memory-key-value-store';

// Admission, output cache, LLM affinity, generation state / idempotency
export * from './distributed/hashing';
export * from './distributed/admission-queue';
export * from './distributed/output-caching-engine';
export * from './distributed/llm-affinity';
export * from './distributed/stream-recorder';
export * from './distributed/generation-state';
export * from './distributed/with-generation-state';

// Worker choice and reissue decisions (pure; used by the remote engines)
export * from './routing/llm-worker-choice';

// Per-key LLM token quota (pure token bucket)
export * from './quota/token-quota';
