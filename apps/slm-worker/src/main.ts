import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { connectNats } from '@relayllm/nats-transport';
import { startAppObservability, tracedEngine, WorkerMetrics } from '@relayllm/observability';
import { loadSlmWorkerStartup } from './app/config';
import { createSlmEngine } from './app/engine-factory';
import { SlmGrpcHost } from './app/slm-grpc.host';
import { SlmWorkerModule } from './app/slm-worker.module';
import { READY_LINE_PREFIX } from './app/tokens';
import { WorkerPresence } from './app/worker-presence';

let log = (line: string): void => void process.stderr.write(`[slm-worker] ${line}\n`);

/**
 * Starts one SLM worker: NATS connection, the engine (model loaded), then the
 * Nest app whose SlmGrpcHost binds the gRPC server on boot; heartbeats start
 * once it listens. SIGTERM/SIGINT: leave (heartbeat `leaving`), stop serving
 * (running generates get the grace, then streams end with UNAVAILABLE), close
 * the engine, drain NATS, exit 0.
 */
async function main(): Promise<void> {
  const { config, natsAuth, serverCredentials, observability: observabilityConfig } = loadSlmWorkerStartup();
  const observability = await startAppObservability(observabilityConfig, { service: 'relayllm-slm-worker' });
  const logger = observability.logger.child({ worker_id: config.workerId });
  log = (line) => logger.info(line);
  // The gauge reads the gRPC host once it exists (the engine, created first, reports into the same metrics).
  const sequences = { active: (): number => 0 };
  const metrics =
    observability.metricsServer === undefined
      ? undefined
      : new WorkerMetrics(observability.registry, 'slm', { active: () => sequences.active(), max: config.maxSequences });
  const nc = await connectNats({
    auth: natsAuth,
    servers: config.natsUrl,
    name: `slm-worker-${config.workerId}`,
    onClosed: (error) => error !== undefined && log(`NATS connection closed: ${error.message}`),
  });
  const engine = tracedEngine(createSlmEngine(config), { tracer: observability.tracing.tracer, kind: 'slm', metrics });
  await engine.start();
  const app = await NestFactory.createApplicationContext(SlmWorkerModule.forRoot({ config, nc, engine, serverCredentials }), { logger: ['error', 'warn'] });
  await app.init();
  const grpcHost = app.get(SlmGrpcHost);
  sequences.active = () => grpcHost.activeSequences;
  const presence = app.get(WorkerPresence);
  presence.start();
  const metricsAt = observability.metricsServer === undefined ? '' : ` metrics=${observability.metricsServer.port}`;
  process.stdout.write(
    `${READY_LINE_PREFIX} id=${config.workerId} address=${grpcHost.address} model=${config.model} sequences=${config.maxSequences} pid=${process.pid}${metricsAt}\n`,
  );

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string): void => {
    stopping ??= (async () => {
      log(`${signal}: stopping (grace ${config.shutdownGraceMs} ms)`);
      await presence.leave();
      await grpcHost.stop(config.shutdownGraceMs);
      await app.close(); // closes the engine
      await nc.drain().catch(() => undefined);
      await observability.shutdown();
      process.exit(0);
    })().catch((error: unknown) => {
      log(`shutdown failed: ${String(error)}`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
