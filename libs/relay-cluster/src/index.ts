// Cluster policy, pure: what a deployment of several replicas and workers
// decides, with no transport. Test doubles are reached through
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
export * from './distributed/generation-state-record';
export * from './distributed/generation-state';
export * from './distributed/owned-generation';
export * from './distributed/tenant-scope';
export * from './distributed/with-generation-state';

// The remote-engine skeleton of both roles: worker choice, the retry policy, transports as strategies
export * from './remote/worker-choice';
export * from './remote/retry-policy';
export * from './remote/remote-engine';
export * from './remote/outage-watch';

// Per-key LLM token quota (pure token bucket)
export * from './quota/token-quota';
