import type { NatsConnection } from '@nats-io/nats-core';
import { WorkerKind } from '@relayllm/proto';
import { connectNats, WorkerRegistry, type NatsAuthOptions } from '@relayllm/nats-transport';
import type { SlmClientTls } from '@relayllm/security';
import type { Engine } from '@relayllm/relay-core';
import type { KeyValueStore } from '@relayllm/relay-cluster';
import { RemoteSlmEngine, type SlmWorkerDirectory, type SlmWorkerInfo } from '@relayllm/slm-remote';
import { injectTraceHeaders, type RelayInstrumentation } from '@relayllm/observability';
import type { OrchestratorBackends } from './backends';
import type { OrchestratorConfig } from './config';

/** SLM workers of one model, as the NATS heartbeats report them. */
export class RegistrySlmDirectory implements SlmWorkerDirectory {
  constructor(
    private readonly registry: Pick<WorkerRegistry, 'live'>,
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
  registry: WorkerRegistry;
  store: KeyValueStore;
  config: OrchestratorConfig;
  /** Trace headers and relay.call attributes (libs/observability). */
  instrumentation?: RelayInstrumentation;
}

/** Builds the NATS LLM pool (libs/llm-pool); a seam so the wiring is testable. */
export type LlmPoolFactory = (deps: LlmPoolDeps) => Engine;

/**
 * Production backends: one NATS connection (reconnecting forever), the worker
 * registry fed by heartbeats, RemoteSlmEngine over the live SLM workers
 * (waiting for a slot when all are full) and the LLM pool over NATS. close() releases them in reverse order.
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
  });
  const registry = new WorkerRegistry(nc);
  registry.start();
  const directory = new RegistrySlmDirectory(registry, config.slmModel);
  const remote = new RemoteSlmEngine({
    directory,
    maxAttempts: config.maxAttempts,
    // A worker lost while the others are full: displaced generations wait for a slot.
    capacityWaitMs: config.maxQueueWaitMs,
    onCapacityChange: (listener) => registry.onChange(() => listener()),
    generateDeadlineMs: config.requestTimeoutMs,
    // The active slm.segment, for the worker's engine spans (nothing when not traced).
    traceContext: instrumentation && (() => injectTraceHeaders()),
    credentials: transport.slmTls?.credentials,
    channelOptions: transport.slmTls?.channelOptions,
  });
  const slm = instrumentation?.slm(remote) ?? remote;
  await slm.start();
  const llm = createLlmPool({ nc, registry, store, config, instrumentation });
  let closing: Promise<void> | undefined;
  return {
    slm,
    llm,
    slmCapacity: () => directory.capacity(),
    onCapacityChange: (listener) => registry.onChange(() => listener()),
    close: () =>
      (closing ??= (async () => {
        await slm.close();
        await llm.close();
        registry.close();
        await nc.drain().catch(() => undefined);
      })()),
  };
}
