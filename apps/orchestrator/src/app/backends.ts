import type { Engine, RelayError, RelayModels } from '@relayllm/relay-core';
import type { KeyValueStore } from '@relayllm/relay-cluster';
import type { BrokerLinkWatch } from './broker-aware-waits';

/**
 * What the orchestrator runs generations on: the SLM (an Engine over SLM
 * workers) and the LLM pool (NATS). Production builds them from NATS and the
 * worker registry (nats-backends.ts); specs pass scripted ones.
 */
export interface OrchestratorBackends {
  /** Over the SLM workers; `release(sequenceId)` frees the generation's SLM stream. */
  slm: Engine;
  /** Over the LLM workers (NATS). */
  llm: Engine;
  /** Generation slots offered by the live SLM workers (sum of their max sequences). */
  slmCapacity(): number;
  /** Called whenever capacity may have changed (a worker joined, left, reported load). */
  onCapacityChange(listener: () => void): () => void;
  /**
   * Why no worker of a role can be reached now (UNAVAILABLE NO_SLM_WORKER /
   * NO_LLM_WORKER: none heartbeats, or none could be heard), undefined when
   * each role has a live worker. Read at each capacity change: an outage,
   * not overload (RelayOrchestrationService fails requests after the grace).
   */
  unreachable(): RelayError | undefined;
  /** This orchestrator's NATS link: while it is down, admission waits are an outage ridden out, not overload (BrokerAwareWaits). */
  broker: BrokerLinkWatch;
  /**
   * The two models as their workers describe them (a code chat format for
   * the reference pair); resolves once one SLM and one LLM description are
   * known, then stays the same. Never rejects: callers bound their own wait.
   */
  describedModels(): Promise<RelayModels>;
  /** Stops everything the backends started. Idempotent. */
  close(): Promise<void>;
}

/** Builds the backends once, at startup, given the shared store (LLM affinity lives there). */
export type BackendsFactory = (store: KeyValueStore) => Promise<OrchestratorBackends>;
