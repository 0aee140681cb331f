import { RelayFrontDoor, type CallerContext, type GenerationObserver, type RelayServiceHandler } from '@relayllm/front-door';
import { AdmissionQueue, GenerationStateStore, OutputCachingEngine, type KeyValueStore, type TokenQuota } from '@relayllm/relay-cluster';
import {
  DEFAULT_SERVER_LIMITS,
  referenceModels,
  type Clock,
  type Engine,
  type RelayRequest,
  type RelayServerLimits,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import type { OrchestratorBackends } from './backends';
import type { OrchestratorConfig } from './config';

export type OrchestrationSettings = Pick<
  OrchestratorConfig,
  | 'llmModel'
  | 'contextSize'
  | 'maxTokensLimit'
  | 'requestTimeoutMs'
  | 'maxConcurrentGenerations'
  | 'maxQueuedRequests'
  | 'maxQueueWaitMs'
  | 'outputCacheTtlMs'
  | 'generationLeaseMs'
>;

export interface RelayOrchestrationDeps {
  backends: OrchestratorBackends;
  store: KeyValueStore;
  clock: Clock;
  /** This replica's id (written into generation state). */
  replicaId: string;
  log?: (line: string) => void;
  /** Spans and metrics (libs/observability): the generation observer, and the LLM as the relay sees it (outside the output cache). */
  observer?: GenerationObserver;
  observeLlm?: (llm: Engine) => Engine;
  /** Per-key LLM-token quota (libs/security). */
  quota?: TokenQuota;
}

/**
 * The cluster's wiring of the front door (libs/front-door): the remote SLM and
 * the LLM pool behind the shared output cache, admission sized by the live
 * SLM workers' slots, and generation state in the shared store with leases,
 * so that any replica can replay, refuse or resume a request_id. No step of a
 * generation lives here.
 */
export class RelayOrchestrationService implements RelayServiceHandler {
  readonly serverLimits: RelayServerLimits;
  readonly admission: AdmissionQueue;
  readonly llm: OutputCachingEngine;
  private readonly frontDoor: RelayFrontDoor;
  private readonly unsubscribe: () => void;

  constructor(settings: OrchestrationSettings, deps: RelayOrchestrationDeps) {
    this.serverLimits = { ...DEFAULT_SERVER_LIMITS, maxTokensCeiling: settings.maxTokensLimit };
    this.admission = new AdmissionQueue({
      maxConcurrent: () => Math.min(settings.maxConcurrentGenerations, deps.backends.slmCapacity()),
      maxQueued: settings.maxQueuedRequests,
    });
    this.unsubscribe = deps.backends.onCapacityChange(() => this.admission.capacityChanged());
    this.llm = new OutputCachingEngine(deps.backends.llm, { model: settings.llmModel, store: deps.store, ttlMs: settings.outputCacheTtlMs });
    this.frontDoor = new RelayFrontDoor({
      engines: { slm: deps.backends.slm, llm: deps.observeLlm?.(this.llm) ?? this.llm },
      // The reference pair (its profile and chat format), with the configured window.
      models: referenceModels(settings.contextSize),
      limits: this.serverLimits,
      requestTimeoutMs: settings.requestTimeoutMs,
      resumable: true,
      leaseRenewMs: Math.max(100, Math.floor(settings.generationLeaseMs / 3)),
      generations: new GenerationStateStore({
        store: deps.store,
        owner: deps.replicaId,
        clock: deps.clock,
        leaseMs: settings.generationLeaseMs,
        runningTtlMs: settings.requestTimeoutMs + 60_000,
      }),
      admission: { queue: this.admission, maxWaitMs: settings.maxQueueWaitMs },
      quota: deps.quota,
      observer: deps.observer,
      clock: deps.clock,
      onResume: ({ generationId, previousOwner, savedStreams, turn }) =>
        deps.log?.(`resumed generation ${generationId} of ${previousOwner} (lease lapsed) from ${savedStreams} saved streams, turn ${turn}`),
    });
  }

  generate(request: RelayRequest, signal: AbortSignal, caller: CallerContext): AsyncIterable<RelayStreamEvent> {
    return this.frontDoor.generate(request, signal, caller);
  }

  /** Stops following capacity changes. */
  dispose(): void {
    this.unsubscribe();
  }
}
