import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats, ModelDescriptionResponder, WorkerAnnouncer, type NatsAuthOptions } from '@relayllm/nats-transport';
import { startAppObservability, tracedEngine, WorkerMetrics, type AppObservability, type ObservabilityConfig } from '@relayllm/observability';
import type { WorkerKind } from '@relayllm/proto';
import type { Engine, ModelDescriber, ModelDescription } from '@relayllm/relay-core';
import { modelDescriptionToWire } from '@relayllm/worker-protocol';
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
  /** The worker's engine, not started yet; once started it describes its model. */
  createEngine(): Engine & ModelDescriber;
}

/** The started parts of a worker: its observability, NATS connection and (started, traced) engine. */
export interface WorkerBase {
  readonly observability: AppObservability;
  readonly nc: NatsConnection;
  readonly engine: Engine;
  /** What the engine said of its model, as the orchestrator learns it (the describe subject). */
  readonly description: ModelDescription;
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

/** A worker's settings that its heartbeats announce, and the hash of its model's description ('' = none). */
export type PresenceSettings = Pick<WorkerBaseOptions, 'workerId' | 'kind' | 'model' | 'maxSequences' | 'heartbeatIntervalMs'> & { descriptionHash?: string };

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
    descriptionHash: settings.descriptionHash,
  });
}

/**
 * Answers the describe subject with `description` (what the worker's engine
 * said of its model); put the returned responder's `hash` into the worker's
 * presence (PresenceSettings.descriptionHash) so orchestrators fetch it.
 */
export function serveModelDescription(
  nc: NatsConnection,
  settings: Pick<WorkerBaseOptions, 'workerId' | 'kind' | 'model'>,
  description: ModelDescription,
): ModelDescriptionResponder {
  const responder = new ModelDescriptionResponder(nc, { ...settings, description: modelDescriptionToWire(description) });
  responder.start();
  return responder;
}

/**
 * Starts what every worker needs, in order: observability (the log switches
 * to its JSON logger), the NATS connection (reconnecting forever), the
 * engine under `engine.generate` spans and worker metrics, then its model's
 * description: answered on the describe subject, its hash in every heartbeat.
 * A model that cannot describe itself fails the start (its RelayError names why).
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
    // Each lost connection: relayllm_broker_disconnects_total.
    onStatus: metrics?.broker.onStatus,
  });
  const described = options.createEngine();
  const engine = tracedEngine(described, { tracer: observability.tracing.tracer, kind: options.role, metrics });
  let description: ModelDescription;
  try {
    await engine.start();
    description = await described.describe();
  } catch (error) {
    // The process exits on a failed start: leave nothing half-open behind the error.
    await engine.close().catch(() => undefined);
    await nc.drain().catch(() => undefined);
    throw error;
  }
  const responder = serveModelDescription(nc, options, description);
  return {
    observability,
    nc,
    engine,
    description,
    metrics,
    readActiveSequences: (read) => {
      active = read;
    },
    presence: (address) => workerPresence(nc, { ...options, descriptionHash: responder.hash }, () => active(), address),
    metricsSuffix: observability.metricsServer === undefined ? '' : ` metrics=${observability.metricsServer.port}`,
    close: async () => {
      responder.stop();
      await nc.drain().catch(() => undefined);
      await observability.shutdown();
    },
  };
}
