import type { NatsConnection } from '@nats-io/nats-core';
import { WorkerKind } from '@relayllm/proto';
import { brokerLinkOf, connectNats, DescribedWorkers, WorkerRegistry, type ModelPool, type NatsAuthOptions } from '@relayllm/nats-transport';
import type { SlmClientTls } from '@relayllm/security';
import { RelayError, UnavailableReason, withKnownChatFormat, type CommandSyntax, type Engine, type RelayModels } from '@relayllm/relay-core';
import type { KeyValueStore } from '@relayllm/relay-cluster';
import { RemoteSlmEngine, type SlmWorkerDirectory, type SlmWorkerInfo } from '@relayllm/slm-remote';
import { injectTraceHeaders, type RelayInstrumentation } from '@relayllm/observability';
import type { OrchestratorBackends } from './backends';
import type { BrokerLinkWatch } from './broker-aware-waits';
import type { OrchestratorConfig } from './config';

/** SLM workers of one model, as the NATS heartbeats report them (only those whose model agrees with the pool's). */
export class RegistrySlmDirectory implements SlmWorkerDirectory {
  constructor(
    private readonly registry: Pick<DescribedWorkers, 'live'>,
    private readonly model: string,
  ) {}

  liveWorkers(): readonly SlmWorkerInfo[] {
    return this.registry.live(WorkerKind.WORKER_KIND_SLM, this.model).map((w) => ({
      workerId: w.workerId,
      address: w.address,
      maxSequences: w.maxSequences,
      activeSequences: w.activeSequences,
    }));
  }

  /** Generation slots: every generation holds one SLM stream for its whole life. */
  capacity(): number {
    return this.liveWorkers().reduce((sum, w) => sum + Math.max(0, w.maxSequences), 0);
  }
}

export interface LlmPoolDeps {
  nc: NatsConnection;
  /** Live workers whose model agrees with their pool's (the registry behind the describe step). */
  workers: DescribedWorkers;
  store: KeyValueStore;
  config: OrchestratorConfig;
  /** Trace headers and relay.call attributes (libs/observability). */
  instrumentation?: RelayInstrumentation;
}

/** Builds the NATS LLM pool (libs/llm-pool); a seam so the wiring is testable. */
export type LlmPoolFactory = (deps: LlmPoolDeps) => Engine;

/** The orchestrator's two pools (role + model name). */
export function modelPools(config: Pick<OrchestratorConfig, 'slmModel' | 'llmModel'>): { slm: ModelPool; llm: ModelPool } {
  return { slm: { kind: WorkerKind.WORKER_KIND_SLM, model: config.slmModel }, llm: { kind: WorkerKind.WORKER_KIND_LLM, model: config.llmModel } };
}

/**
 * Why no worker of a pool can be reached (an outage, not overload): none of
 * its workers heartbeats, or none could be heard (NATS is down and none was
 * known). The registry keeps the workers it knew while NATS is down, since
 * their gRPC streams may still work.
 */
export function unreachablePool(registry: Pick<WorkerRegistry, 'live' | 'hearing'>, pools: { slm: ModelPool; llm: ModelPool }): RelayError | undefined {
  const deaf = registry.hearing ? '' : ' (the NATS connection is down: none can be heard)';
  if (registry.live(pools.slm.kind, pools.slm.model).length === 0) {
    return RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, `no SLM worker of "${pools.slm.model}" is live${deaf}`);
  }
  if (registry.live(pools.llm.kind, pools.llm.model).length === 0) {
    return RelayError.unavailable(UnavailableReason.NO_LLM_WORKER, `no LLM worker of "${pools.llm.model}" is live${deaf}`);
  }
  return undefined;
}

/** The link changes the admission waits follow: dropped, back, closed. */
function brokerWatchOf(nc: NatsConnection): BrokerLinkWatch {
  const link = brokerLinkOf(nc);
  return {
    connected: () => link.view().connected,
    onChange: (listener) => link.onEvent((event) => event.type !== 'staleConnection' && listener()),
  };
}

/** The pool models once both are described (known code formats filled in: the reference pair). */
function describedModelsOf(workers: DescribedWorkers, pools: { slm: ModelPool; llm: ModelPool }): () => Promise<RelayModels> {
  let models: Promise<RelayModels> | undefined;
  return () =>
    (models ??= workers.described([pools.slm, pools.llm]).then(([slm, llm]) => ({ slm: withKnownChatFormat(slm), llm: withKnownChatFormat(llm) })));
}

/**
 * RemoteSlmEngine over the live SLM workers: waiting for a slot when all are
 * full, failing over the streams of a worker that leaves the registry,
 * pausing per the SLM's command syntax.
 */
function remoteSlmEngine(
  config: OrchestratorConfig,
  workers: DescribedWorkers,
  directory: RegistrySlmDirectory,
  instrumentation: RelayInstrumentation | undefined,
  slmTls: SlmClientTls | undefined,
): RemoteSlmEngine {
  const pools = modelPools(config);
  // Read at each generate; generations start only once the models are described.
  const slmSyntax = (): CommandSyntax => workers.description(pools.slm)?.profile.commandSyntax ?? { kind: 'text' };
  return new RemoteSlmEngine({
    directory,
    commandSyntax: slmSyntax,
    maxAttempts: config.maxAttempts,
    // A worker lost while the others are full: displaced generations wait for a slot.
    capacityWaitMs: config.maxQueueWaitMs,
    // No SLM worker live at all: in-flight generations fail UNAVAILABLE after the grace.
    outageGraceMs: config.noWorkerGraceMs,
    onCapacityChange: (listener) => workers.onChange(() => listener()),
    generateDeadlineMs: config.requestTimeoutMs,
    // The active slm.segment, for the worker's engine spans (nothing when not traced).
    traceContext: instrumentation && (() => injectTraceHeaders()),
    credentials: slmTls?.credentials,
    channelOptions: slmTls?.channelOptions,
    // Generations moved to another worker: relayllm_slm_failovers_total.
    observer: instrumentation?.faults?.remoteEngineObserver('slm'),
  });
}

/**
 * Production backends: one NATS connection (reconnecting forever), the worker
 * registry fed by heartbeats and the workers' model descriptions behind it
 * (a worker whose model disagrees with its pool's is never routed to),
 * RemoteSlmEngine over the live SLM workers (waiting for a slot when all are
 * full; pausing per the SLM's command syntax) and the LLM pool over NATS.
 * close() releases them in reverse order.
 */
export async function createNatsBackends(
  config: OrchestratorConfig,
  store: KeyValueStore,
  createLlmPool: LlmPoolFactory,
  log: (line: string) => void,
  instrumentation?: RelayInstrumentation,
  /** NATS credentials / TLS and the SLM streams' TLS (config.ts loadSecurityConfig). */
  transport: { natsAuth?: NatsAuthOptions; slmTls?: SlmClientTls } = {},
): Promise<OrchestratorBackends> {
  const nc = await connectNats({
    auth: transport.natsAuth,
    servers: config.natsUrl,
    name: 'relayllm-orchestrator',
    onClosed: (error) => error !== undefined && log(`NATS connection closed: ${error.message}`),
    onStatus: instrumentation?.faults?.broker.onStatus,
  });
  const registry = new WorkerRegistry(nc);
  registry.start();
  const pools = modelPools(config);
  const workers = new DescribedWorkers({ nc, registry, pools: [pools.slm, pools.llm], log });
  workers.start();
  const directory = new RegistrySlmDirectory(workers, config.slmModel);
  const remote = remoteSlmEngine(config, workers, directory, instrumentation, transport.slmTls);
  const slm = instrumentation?.slm(remote) ?? remote;
  await slm.start();
  const llm = createLlmPool({ nc, workers, store, config, instrumentation });
  let closing: Promise<void> | undefined;
  return {
    slm,
    llm,
    slmCapacity: () => directory.capacity(),
    onCapacityChange: (listener) => workers.onChange(() => listener()),
    unreachable: () => unreachablePool(registry, pools),
    broker: brokerWatchOf(nc),
    describedModels: describedModelsOf(workers, pools),
    close: () =>
      (closing ??= (async () => {
        await slm.close();
        await llm.close();
        workers.close();
        registry.close();
        await nc.drain().catch(() => undefined);
      })()),
  };
}
