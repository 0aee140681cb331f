import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InMemoryKeyValueStore } from '@relayllm/relay-cluster';
import type { OrchestratorConfig, SecurityConfig } from '../app/config';
import { OrchestratorModule } from '../app/orchestrator.module';
import { RelayGrpcHost } from '../app/relay-grpc.host';
import type { ScriptedBackends } from './scripted-backends.fake';

export interface BootedOrchestrator {
  app: INestApplicationContext;
  port: number;
  store: InMemoryKeyValueStore;
}

/** The orchestrator's Nest module over scripted backends and an in-memory store, its gRPC API on a free port. */
export async function bootOrchestrator(config: OrchestratorConfig, backends: ScriptedBackends, security?: SecurityConfig['api']): Promise<BootedOrchestrator> {
  const store = new InMemoryKeyValueStore();
  const app = await NestFactory.createApplicationContext(
    OrchestratorModule.forRoot({
      config,
      backends: async () => backends,
      sharedStore: () => ({ store, stats: () => undefined, close: async () => undefined }),
      log: () => undefined,
      ...(security === undefined ? {} : { security }),
    }),
    { logger: false },
  );
  await app.init();
  const port = app.get(RelayGrpcHost).port;
  if (port === undefined) throw new Error('the orchestrator is not listening');
  return { app, port, store };
}
