// Errors
export * from './errors/relay-error';

// Ports (interfaces) and their pure implementations
export * from './ports/engine';
export * from './ports/llm-pool';
export * from './ports/clock';
export * from './ports/prefix-store';
export * from './store/in-memory-prefix-store';

// Command protocol
export * from './protocol/vocabulary';
export * from './protocol/command-rules';
export * from './protocol/token-command-parser';
export * from './protocol/text-command-parser';
export * from './protocol/chat-format';

// Relay state machine and driver
export * from './relay/relay-request';
export * from './relay/relay-types';
export * from './relay/relay-events';
export * from './relay/usage';
export * from './relay/call-decision';
export * from './relay/context-view';
export * from './relay/relay-session';
export * from './relay/run-relay';
export * from './relay/abortable-iteration';

// Test doubles (ScriptedEngine, ManualClock, reference tokenizer, conformance
// table), for specs only; also reachable on their own via src/testing/index.ts.
export * from './testing';

// Distributed deployment logic (transport-free): admission, output cache,
// LLM affinity, generation state / idempotency
export * from './distributed/hashing';
export * from './distributed/admission-queue';
export * from './distributed/caching-llm-pool';
export * from './distributed/prompt-affinity';
export * from './distributed/stream-recorder';
export * from './distributed/generation-state';
export * from './distributed/with-generation-state';

// LLM worker routing (pure; used by the NATS LLM pool)
export * from './routing/llm-worker-choice';

// Per-key LLM token quota (pure token bucket; the orchestrator enforces it)
export * from './quota/token-quota';
