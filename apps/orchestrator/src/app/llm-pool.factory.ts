import { NatsLlmPool } from '@relayllm/llm-pool';
import { WorkerKind } from '@relayllm/proto';
import { LlmAffinity } from '@relayllm/relay-cluster';
import type { LlmPoolFactory } from './nats-backends';

/**
 * The production LLM pool: NATS request/reply to the model's workers
 * (libs/llm-pool), routed by the live-worker registry and the shared
 * affinity (generation → worker, prompt blocks → worker) in the store.
 */
export const createLlmPool: LlmPoolFactory = ({ nc, workers, store, config, instrumentation }) => {
  const pool = new NatsLlmPool({
    nc,
    model: config.llmModel,
    workers,
    // The broker would also reach a worker whose model disagrees: name the workers while one is live.
    queueGroupUsable: () => workers.allLiveUsable(WorkerKind.WORKER_KIND_LLM, config.llmModel),
    affinity: new LlmAffinity({ store, model: config.llmModel, ttlMs: config.affinityTtlMs }),
    maxAttempts: config.maxAttempts,
    attemptTimeoutMs: config.llmRequestTimeoutMs,
    ackTimeoutMs: config.llmAckTimeoutMs,
    // The active relay.call travels in the NATS headers; worker, affinity and routing time land on it.
    traceHeaders: instrumentation?.traceHeaders,
    onRelay: instrumentation?.onLlmRelay,
    onRoute: instrumentation?.onLlmRoute,
    onAttempt: instrumentation?.onLlmAttempt,
    // Attempts that failed while the call went on: relayllm_llm_reissues_total.
    observer: instrumentation?.faults?.remoteEngineObserver('llm'),
  });
  // Below the output cache: a call that never gets here was a cache hit.
  return instrumentation?.llmWorkerProbe(pool) ?? pool;
};
