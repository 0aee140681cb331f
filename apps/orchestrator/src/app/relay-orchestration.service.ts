import { RelayFrontDoor, type CallerContext, type GenerationObserver, type RelayServiceHandler } from '@relayllm/front-door';
import { AdmissionQueue, GenerationStateStore, OutageWatch, OutputCachingEngine, type KeyValueStore, type TokenQuota } from '@relayllm/relay-cluster';
import {
  serverLimitsFor,
  InternalReason,
  RelayError,
  UnavailableReason,
  type ChatTemplateSource,
  type Clock,
  type Engine,
  type ModelDescription,
  type RelayModels,
  type RelayRequest,
  type RelayServerLimits,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import type { OrchestratorBackends } from './backends';
import { BrokerAwareWaits } from './broker-aware-waits';
import type { OrchestratorConfig } from './config';

export type OrchestrationSettings = Pick<
  OrchestratorConfig,
  | 'slmModel'
  | 'llmModel'
  | 'contextSize'
  | 'maxTokensLimit'
  | 'defaultMaxTurns'
  | 'defaultConfidenceFloor'
  | 'requestTimeoutMs'
  | 'maxConcurrentGenerations'
  | 'maxQueuedRequests'
  | 'maxQueueWaitMs'
  | 'noWorkerGraceMs'
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
  /** The operator's chat template (RELAYLLM_CHAT_TEMPLATE), replacing the SLM's own. */
  chatTemplate?: ChatTemplateSource;
}

/** A description served with at most `cap` tokens of context (0: its own window). */
function capContext(description: ModelDescription, cap: number): ModelDescription {
  if (cap <= 0 || cap >= description.profile.contextLength) return description;
  return { ...description, profile: { ...description.profile, contextLength: cap } };
}

/**
 * The cluster's wiring of the front door (libs/front-door): the remote SLM and
 * the LLM pool behind the shared output cache, admission sized by the live
 * SLM workers' slots, and generation state in the shared store with leases,
 * so that any replica can replay, refuse or resume a request_id. No step of a
 * generation lives here.
 *
 * The front door is built once the workers have described both models (their
 * profiles, the SLM's chat template or the operator's). Until then a request
 * waits for them up to the queue wait, then gets UNAVAILABLE
 * MODELS_NOT_DESCRIBED; `ready` tells the host when to report SERVING.
 *
 * Outage is not overload: when no worker of a role can be reached for
 * `noWorkerGraceMs` (OutageWatch over `backends.unreachable()`), waiting and
 * new requests get UNAVAILABLE with the role's reason at once, not the whole
 * queue wait then RESOURCE_EXHAUSTED.
 */
export class RelayOrchestrationService implements RelayServiceHandler {
  readonly serverLimits: RelayServerLimits;
  readonly admission: AdmissionQueue;
  readonly llm: OutputCachingEngine;
  /** Resolves true once the front door serves; false when the described models cannot be served (logged). */
  readonly ready: Promise<boolean>;
  private frontDoor: RelayFrontDoor | undefined;
  /** The pair the front door serves (the described models, context capped), once built. */
  private models: RelayModels | undefined;
  /** Why the described models cannot be served (e.g. a chat template that does not render). */
  private refusal: RelayError | undefined;
  private readonly unsubscribe: () => void;
  private readonly outage: OutageWatch;
  private readonly waits: BrokerAwareWaits;
  /** Requests waiting for the models to be described, woken when an outage is declared. */
  private readonly describeWaiters = new Set<() => void>();

  constructor(
    private readonly settings: OrchestrationSettings,
    private readonly deps: RelayOrchestrationDeps,
  ) {
    this.serverLimits = serverLimitsFor(settings);
    this.admission = new AdmissionQueue({
      maxConcurrent: () => Math.min(settings.maxConcurrentGenerations, deps.backends.slmCapacity()),
      maxQueued: settings.maxQueuedRequests,
    });
    this.waits = new BrokerAwareWaits(deps.backends.broker, settings.maxQueueWaitMs, settings.requestTimeoutMs);
    this.outage = new OutageWatch({
      probe: () => deps.backends.unreachable(),
      graceMs: settings.noWorkerGraceMs,
      onChange: (outage) => this.outageChanged(outage),
      schedule: (ms, run) => {
        const timer = setTimeout(run, ms);
        timer.unref();
        return () => clearTimeout(timer);
      },
    });
    this.unsubscribe = deps.backends.onCapacityChange(() => {
      this.admission.capacityChanged();
      this.outage.check();
    });
    this.outage.check();
    this.llm = new OutputCachingEngine(deps.backends.llm, { model: settings.llmModel, store: deps.store, ttlMs: settings.outputCacheTtlMs });
    this.ready = deps.backends.describedModels().then((models) => this.open(models));
  }

  generate(request: RelayRequest, signal: AbortSignal, caller: CallerContext): AsyncIterable<RelayStreamEvent> {
    return this.serve(request, signal, caller);
  }

  /**
   * The pair as the front door serves it (the HTTP API's `/v1/models`). Until
   * the workers have described both models: UNAVAILABLE MODELS_NOT_DESCRIBED,
   * or why the described pair cannot be served.
   */
  servedModels(): RelayModels {
    if (this.models !== undefined) return this.models;
    throw this.refusal ?? this.notDescribed();
  }

  /** Stops following capacity changes. */
  dispose(): void {
    this.unsubscribe();
    this.outage.close();
    this.waits.close();
  }

  private async *serve(request: RelayRequest, signal: AbortSignal, caller: CallerContext): AsyncGenerator<RelayStreamEvent> {
    const frontDoor = this.frontDoor ?? (await this.frontDoorWithin(this.settings.maxQueueWaitMs, signal));
    yield* frontDoor.generate(request, signal, caller);
  }

  /** The front door, waiting at most `waitMs` (or until `signal`, or an outage) for the workers to describe the models. */
  private async frontDoorWithin(waitMs: number, signal: AbortSignal): Promise<RelayFrontDoor> {
    let timer: NodeJS.Timeout | undefined;
    let stop: (() => void) | undefined;
    if (this.outage.declared === undefined) {
      await Promise.race([
        this.ready,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, waitMs);
          stop = resolve;
          signal.addEventListener('abort', stop, { once: true });
          this.describeWaiters.add(stop);
        }),
      ]);
    }
    clearTimeout(timer);
    if (stop !== undefined) {
      signal.removeEventListener('abort', stop);
      this.describeWaiters.delete(stop);
    }
    if (this.frontDoor !== undefined) return this.frontDoor;
    throw this.refusal ?? this.outage.declared ?? this.notDescribed();
  }

  /** An outage declared (or over): the admission queue answers with it, and requests waiting for the models stop waiting. */
  private outageChanged(outage: RelayError | undefined): void {
    this.deps.log?.(outage === undefined ? 'workers reachable again' : `outage: ${outage.message}`);
    this.admission.setOutage(outage);
    if (outage === undefined) return;
    for (const wake of [...this.describeWaiters]) wake();
  }

  private notDescribed(): RelayError {
    return RelayError.unavailable(
      UnavailableReason.MODELS_NOT_DESCRIBED,
      `no SLM worker of "${this.settings.slmModel}" and LLM worker of "${this.settings.llmModel}" have described their models yet`,
    );
  }

  /** Builds the front door for the described models; a pair it cannot serve is logged and refused. */
  private open(described: RelayModels): boolean {
    const { settings, deps } = this;
    const models = { slm: capContext(described.slm, settings.contextSize), llm: capContext(described.llm, settings.contextSize) };
    try {
      this.frontDoor = this.buildFrontDoor(models);
      this.models = models;
    } catch (error) {
      this.refusal = error instanceof RelayError ? error : RelayError.internal(InternalReason.INTERNAL, String(error), { cause: error });
      deps.log?.(`cannot serve the described models: ${this.refusal.message}`);
      return false;
    }
    const { pair, chatFormat, contextSize } = this.frontDoor;
    deps.log?.(
      `serving SLM ${pair.slm.name} + LLM ${pair.llm.name}: ${pair.slm.commandSyntax.kind} commands, ids ${pair.idsTravel ? 'travel' : 'stay (text between models)'}, context ${contextSize}, ${chatFormat.name}`,
    );
    return true;
  }

  private buildFrontDoor(models: RelayModels): RelayFrontDoor {
    const { settings, deps } = this;
    return new RelayFrontDoor({
      engines: { slm: deps.backends.slm, llm: deps.observeLlm?.(this.llm) ?? this.llm },
      models,
      chatTemplate: deps.chatTemplate,
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
      admission: { queue: this.admission, maxWaitMs: settings.maxQueueWaitMs, waitLimit: () => this.waits.waitLimit() },
      quota: deps.quota,
      observer: deps.observer,
      clock: deps.clock,
      onResume: ({ generationId, previousOwner, savedStreams, turn }) =>
        deps.log?.(`resumed generation ${generationId} of ${previousOwner} (lease lapsed) from ${savedStreams} saved streams, turn ${turn}`),
    });
  }
}
