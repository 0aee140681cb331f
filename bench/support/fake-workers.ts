import 'reflect-metadata';
import type { NatsConnection } from '@nats-io/nats-core';
import type { INestApplicationContext, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { serveModelDescription, workerPresence } from '@relayllm/app-kit';
import { connectNats } from '@relayllm/nats-transport';
import { WorkerKind } from '@relayllm/proto';
import { LlmWorkerService } from '../../apps/llm-worker/src/app/llm-worker.service';
import { referenceModels, type Engine } from '@relayllm/relay-core';
import { loadLlmWorkerConfig } from '../../apps/llm-worker/src/app/config';
import { LlmWorkerModule } from '../../apps/llm-worker/src/app/llm-worker.module';
import { NatsLlmServer } from '../../apps/llm-worker/src/app/nats-llm-server';
import { loadSlmWorkerConfig } from '../../apps/slm-worker/src/app/config';
import { SlmGrpcHost } from '../../apps/slm-worker/src/app/slm-grpc.host';
import { SlmWorkerModule } from '../../apps/slm-worker/src/app/slm-worker.module';

export interface FakeWorkersOptions {
  natsUrl: string;
  /** One SLM engine per SLM worker. */
  slmEngines: readonly Engine[];
  slmMaxSequences: number;
  /** One LLM engine per LLM worker. */
  llmEngines: readonly Engine[];
  llmMaxSequences: number;
  /** Wraps each LLM worker's NATS connection (the handoff benchmark timestamps arrivals). */
  tapLlmConnection?: (nc: NatsConnection) => NatsConnection;
}

export interface FakeWorkers {
  slmAddresses: string[];
  close(): Promise<void>;
}

/**
 * The real worker apps (apps/slm-worker's Nest module with its gRPC host and
 * heartbeats, apps/llm-worker's Nest microservice on NATS) in this process,
 * on the engines given: only the models are fake. The sequence limits are
 * set past the apps' env ceilings (64) for the scale benchmark.
 */
export async function startFakeWorkers(options: FakeWorkersOptions): Promise<FakeWorkers> {
  const closers: (() => Promise<void>)[] = [];
  const slmAddresses: string[] = [];
  const close = async (): Promise<void> => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
  };
  try {
    for (const [i, engine] of options.slmEngines.entries()) {
      const workerId = `bench-slm-${i + 1}`;
      const loaded = loadSlmWorkerConfig({ RELAYLLM_NATS_URL: options.natsUrl, RELAYLLM_WORKER_ID: workerId, RELAYLLM_SLM_PORT: '0' });
      const config = { ...loaded, maxSequences: options.slmMaxSequences };
      const nc = await connectNats({ servers: options.natsUrl, name: workerId });
      closers.push(() => nc.close());
      const app: INestApplicationContext = await NestFactory.createApplicationContext(SlmWorkerModule.forRoot({ config, engine }), { logger: ['error', 'warn'] });
      await app.init();
      const host = app.get(SlmGrpcHost);
      // The engines stand for the reference pair: the orchestrator learns that from the workers.
      const described = serveModelDescription(nc, { ...config, kind: WorkerKind.WORKER_KIND_SLM }, referenceModels().slm);
      const presence = workerPresence(nc, { ...config, kind: WorkerKind.WORKER_KIND_SLM, descriptionHash: described.hash }, () => host.activeSequences, () => host.address);
      presence.start();
      slmAddresses.push(host.address);
      closers.push(async () => {
        await presence.stop();
        await app.get(SlmGrpcHost).stop(0);
        await app.close();
      });
    }
    for (const [i, engine] of options.llmEngines.entries()) {
      const workerId = `bench-llm-${i + 1}`;
      const loaded = loadLlmWorkerConfig({ RELAYLLM_NATS_URL: options.natsUrl, RELAYLLM_WORKER_ID: workerId, RELAYLLM_LLM_ENGINE: 'llama' });
      const config = { ...loaded, maxSequences: options.llmMaxSequences };
      const nc = await connectNats({ servers: options.natsUrl, name: workerId });
      closers.push(() => nc.close());
      const transport = new NatsLlmServer(options.tapLlmConnection?.(nc) ?? nc, { model: config.model, workerId });
      const app: INestMicroservice = await NestFactory.createMicroservice(LlmWorkerModule.forRoot({ config, engine }), { strategy: transport, logger: ['error', 'warn'] });
      await app.listen();
      const service = app.get(LlmWorkerService);
      const described = serveModelDescription(nc, { ...config, kind: WorkerKind.WORKER_KIND_LLM }, referenceModels().llm);
      const presence = workerPresence(nc, { ...config, kind: WorkerKind.WORKER_KIND_LLM, descriptionHash: described.hash }, () => service.activeSequences);
      service.setCapacityListener(() => presence.announce());
      presence.start();
      closers.push(async () => {
        await presence.stop();
        await app.close();
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { slmAddresses, close };
}
