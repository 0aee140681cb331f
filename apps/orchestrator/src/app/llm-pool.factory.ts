import { NatsLlmPool } from '@relayllm/llm-pool';
import { LlmAffinity } from '@relayllm/relay-core';
import type { LlmPoolFactory } from './nats-backends';

/**
 * The production LLM pool: NATS request/reply to the model's workers
 * (libs/llm-pool), routed by the live-worker registry and the shared
 * affinity (generation → worker, prompt blocks → worker) in the store.
 */
export const createLlmPool: LlmPoolFactory = ({ nc, registry, store, config }) =>
  new NatsLlmPool({
    nc,
    model: config.llmModel,
    workers: registry,
    affinity: new LlmAffinity({ store, model: config.llmModel, ttlMs: config.affinityTtlMs }),
    maxAttempts: config.maxAttempts,
    attemptTimeoutMs: config.llmRequestTimeoutMs,
  });
