import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { describeModelSource, runService, startWorkerBase, workerEngineSpec, workerModelSource, type RunningService, type ServiceLog } from '@relayllm/app-kit';
import { createEngine } from '@relayllm/engines';
import { WorkerKind } from '@relayllm/proto';
import { loadLlmWorkerStartup } from './app/config';
import { LlmWorkerModule } from './app/llm-worker.module';
import { LlmWorkerObservation } from './app/llm-worker.observation';
import { LlmWorkerService } from './app/llm-worker.service';
import { NatsLlmServer } from './app/nats-llm-server';
import { READY_LINE_PREFIX } from './app/tokens';

/** Starts the worker: NATS request/reply serving the engine, heartbeats, then the ready line. */
async function start(log: ServiceLog): Promise<RunningService> {
  const { config, natsAuth, observability } = loadLlmWorkerStartup();
  const base = await startWorkerBase(
    { ...config, role: 'llm', kind: WorkerKind.WORKER_KIND_LLM, natsAuth, observability, createEngine: () => createEngine(workerEngineSpec(config)) },
    log,
  );
  const observation = new LlmWorkerObservation(base.observability.tracing.tracer, config.workerId, base.metrics);
  const server = new NatsLlmServer(base.nc, { model: config.model, workerId: config.workerId });
  const app = await NestFactory.createMicroservice(LlmWorkerModule.forRoot({ config, engine: base.engine, observation }), {
    strategy: server,
    logger: ['error', 'warn'],
  });
  await app.listen();
  const service = app.get(LlmWorkerService);
  base.readActiveSequences(() => service.activeSequences);
  const presence = base.presence();
  // Heartbeat at once when the worker becomes full or stops being full.
  service.setCapacityListener(() => presence.announce());
  presence.start();
  log(`serving ${describeModelSource(workerModelSource(config))} as ${base.description.profile.name} (context ${base.description.profile.contextLength})`);
  return {
    readyLine: `${READY_LINE_PREFIX} id=${config.workerId} model=${config.model} sequences=${config.maxSequences} commands=${base.description.profile.commandSyntax.kind} pid=${process.pid}${base.metricsSuffix}`,
    stop: async () => {
      log(`draining (grace ${config.shutdownGraceMs} ms)`);
      await server.stopTakingRequests();
      await service.drain(config.shutdownGraceMs);
      await presence.stop();
      await app.close(); // closes the engine
      await base.close();
    },
  };
}

void runService({ name: 'llm-worker', start });
