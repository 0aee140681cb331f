import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { describeModelSource, runService, startWorkerBase, workerEngineSpec, workerModelSource, type RunningService, type ServiceLog } from '@relayllm/app-kit';
import { createEngine } from '@relayllm/engines';
import { WorkerKind } from '@relayllm/proto';
import { loadSlmWorkerStartup } from './app/config';
import { SlmGrpcHost } from './app/slm-grpc.host';
import { SlmWorkerModule } from './app/slm-worker.module';
import { READY_LINE_PREFIX } from './app/tokens';

/** Starts the worker: the gRPC Decode service over the engine, heartbeats carrying its address, then the ready line. */
async function start(log: ServiceLog): Promise<RunningService> {
  const { config, natsAuth, serverCredentials, observability } = loadSlmWorkerStartup();
  const base = await startWorkerBase(
    { ...config, role: 'slm', kind: WorkerKind.WORKER_KIND_SLM, natsAuth, observability, createEngine: () => createEngine(workerEngineSpec(config)) },
    log,
  );
  const app = await NestFactory.createApplicationContext(SlmWorkerModule.forRoot({ config, engine: base.engine, serverCredentials }), {
    logger: ['error', 'warn'],
  });
  await app.init();
  const grpcHost = app.get(SlmGrpcHost);
  base.readActiveSequences(() => grpcHost.activeSequences);
  const presence = base.presence(() => grpcHost.address);
  presence.start();
  log(`serving ${describeModelSource(workerModelSource(config))} as ${base.description.profile.name} (context ${base.description.profile.contextLength})`);
  return {
    readyLine: `${READY_LINE_PREFIX} id=${config.workerId} address=${grpcHost.address} model=${config.model} sequences=${config.maxSequences} commands=${base.description.profile.commandSyntax.kind} pid=${process.pid}${base.metricsSuffix}`,
    stop: async () => {
      log(`stopping (grace ${config.shutdownGraceMs} ms)`);
      await presence.stop();
      await grpcHost.stop(config.shutdownGraceMs);
      await app.close(); // closes the engine
      await base.close();
    },
  };
}

void runService({ name: 'slm-worker', start });
