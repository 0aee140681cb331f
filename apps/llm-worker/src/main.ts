import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { connectNats } from '@relayllm/nats-transport';
import { startAppObservability, tracedEngine, WorkerMetrics } from '@relayllm/observability';
import { loadLlmWorkerStartup } from './app/config';
import { createLlmEngine } from './app/engine-factory';
import { LlmWorkerModule } from './app/llm-worker.module';
import { LlmWorkerObservation } from './app/llm-worker.observation';
import { LlmWorkerService } from './app/llm-worker.service';
import { NatsLlmServer } from './app/nats-llm-server';
import { READY_LINE_PREFIX } from './app/tokens';
import { WorkerPresence } from './app/worker-presence';

let log = (line: string): void => void process.stderr.write(`[llm-worker] ${line}\n`);

async function main(): Promise<void> {
  const { config, natsAuth, observability: observabilityConfig } = loadLlmWorkerStartup();
  const observability = await startAppObservability(observabilityConfig, { service: 'relayllm-llm-worker' });
  const logger = observability.logger.child({ worker_id: config.workerId });
  log = (line) => logger.info(line);
  // The gauge reads the service once it exists (the engine, created first, reports into the same metrics).
  const sequences = { active: (): number => 0 };
  const metrics =
    observability.metricsServer === undefined
      ? undefined
      : new WorkerMetrics(observability.registry, 'llm', { active: () => sequences.active(), max: config.maxSequences });
  const nc = await connectNats({
    auth: natsAuth,
    servers: config.natsUrl,
    name: `llm-worker-${config.workerId}`,
    onClosed: (error) => error !== undefined && log(`NATS connection closed: ${error.message}`),
  });
  const engine = tracedEngine(createLlmEngine(config), { tracer: observability.tracing.tracer, kind: 'llm', metrics });
  await engine.start();
  const observation = new LlmWorkerObservation(observability.tracing.tracer, config.workerId, metrics);
  const server = new NatsLlmServer(nc, { model: config.model, workerId: config.workerId });
  const app = await NestFactory.createMicroservice(LlmWorkerModule.forRoot({ config, nc, engine, observation }), {
    strategy: server,
    logger: ['error', 'warn'],
  });
  await app.listen();
  const presence = app.get(WorkerPresence);
  const service = app.get(LlmWorkerService);
  sequences.active = () => service.activeSequences;
  presence.start();
  const metricsAt = observability.metricsServer === undefined ? '' : ` metrics=${observability.metricsServer.port}`;
  process.stdout.write(`${READY_LINE_PREFIX} id=${config.workerId} model=${config.model} sequences=${config.maxSequences} pid=${process.pid}${metricsAt}\n`);

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string): void => {
    stopping ??= (async () => {
      log(`${signal}: draining (grace ${config.shutdownGraceMs} ms)`);
      await server.stopTakingRequests();
      await service.drain(config.shutdownGraceMs);
      await presence.leave();
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
