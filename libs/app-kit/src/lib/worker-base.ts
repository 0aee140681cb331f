import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats, WorkerAnnouncer, type NatsAuthOptions } from '@relayllm/nats-transport';
import { startAppObservability, tracedEngine, WorkerMetrics, type AppObservability, type ObservabilityConfig } from '@relayllm/observability';
import type { WorkerKind } from '@relayllm/proto';
import type { Engine } from '@relayllm/relay-core';
import type { ServiceLog } from './run-service';

/** What both worker apps (SLM over gRPC, LLM over NATS) share before their own part starts. */
export interface WorkerBaseOptions {
  role: 'slm' | 'llm';
  kind: WorkerKind;
  workerId: string;
  model: string;
  maxSequences: number;
  heartbeatIntervalMs: number;
  natsUrl: string;
  natsAuth: NatsAuthOptions;
  observability: ObservabilityConfig;
  /** The worker's engine, not started yet. */
  createEngine(): Engine;
}

/** The started parts of a worker: its observability, NATS connection and (started, traced) engine. */
export interface WorkerBase {
  readonly observability: AppObservability;
  readonly nc: NatsConnection;
  readonly engine: Engine;
  /** Worker metrics, when /metrics is served. */
  readonly metrics?: WorkerMetrics;
  /** Sets where the sequences-in-use gauge and the heartbeats read the worker's load (once its server exists). */
  readActiveSequences(read: () => number): void;
  /** This worker's heartbeats (one implementation for both roles); `address` for SLM workers (their gRPC host:port). */
  presence(address?: () => string): WorkerAnnouncer;
  /** ` metrics=<port>` for the ready line when /metrics is served, else ''. */
  readonly metricsSuffix: string;
  /** Drains NATS and flushes spans: the end of a worker's stop. */
  close(): Promise<void>;
}

/** A worker's settings that its heartbeats announce. */
export type PresenceSettings = Pick<WorkerBaseOptions, 'workerId' | 'kind' | 'model' | 'maxSequences' | 'heartbeatIntervalMs'>;

/**
 * The one presence of a worker, either role: heartbeats with its load every
 * interval (and at once on start), `leaving` on stop. `address`: the SLM
 * worker's gRPC host:port, read at every heartbeat.
 */
export function workerPresence(nc: NatsConnection, settings: PresenceSettings, activeSequences: () => number, address?: () => string): WorkerAnnouncer {
  return new WorkerAnnouncer(nc, {
    workerId: settings.workerId,
    kind: settings.kind,
    model: settings.model,
    address,
    maxSequences: settings.maxSequences,
    activeSequences,
    intervalMs: settings.heartbeatIntervalMs,
  });
}

/**
 * Starts what every worker needs, in order: observability (the log switches
 * to its JSON logger), the NATS connection (reconnecting forever), the
 * engine under `engine.generate` spans and worker metrics.
 */
export async function startWorkerBase(options: WorkerBaseOptions, log: ServiceLog): Promise<WorkerBase> {
  const observability = await startAppObservability(options.observability, { service: `relayllm-${options.role}-worker` });
  const logger = observability.logger.child({ worker_id: options.workerId });
  log.use((line) => logger.info(line));
  let active = (): number => 0;
  const metrics =
    observability.metricsServer === undefined
      ? undefined
      : new WorkerMetrics(observability.registry, options.role, { active: () => active(), max: options.maxSequences });
  const nc = await connectNats({
    auth: options.natsAuth,
    servers: options.natsUrl,
    name: `${options.role}-worker-${options.workerId}`,
    onClosed: (error) => error !== undefined && log(`NATS connection closed: ${error.message}`),
  });
  const engine = tracedEngine(options.createEngine(), { tracer: observability.tracing.tracer, kind: options.role, metrics });
  await engine.start();
  return {
    observability,
    nc,
    engine,
    metrics,
    readActiveSequences: (read) => {
      active = read;
    },
    presence: (address) => workerPresence(nc, options, () => active(), address),
    metricsSuffix: observability.metricsServer === undefined ? '' : ` metrics=${observability.metricsServer.port}`,
    close: async () => {
      await nc.drain().catch(() => undefined);
      await observability.shutdown();
    },
  };
}
