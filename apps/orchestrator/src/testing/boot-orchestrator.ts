import type { INestApplicationContext } from '@nestjs/common';
import { InMemoryKeyValueStore } from '@relayllm/relay-cluster';
import type { OrchestratorConfig, SecurityConfig } from '../app/config';
import { OrchestratorModule } from '../app/orchestrator.module';
import { startOrchestratorApp } from '../app/orchestrator-app';
import type { ScriptedBackends } from './scripted-backends.fake';

export interface BootedOrchestrator {
  app: INestApplicationContext;
  port: number;
  /** The HTTP API's port when `config.httpPort` is set. */
  httpPort: number | undefined;
  store: InMemoryKeyValueStore;
}

/** The orchestrator's Nest app over scripted backends and an in-memory store, its gRPC API (and HTTP API when configured) on free ports. */
export async function bootOrchestrator(config: OrchestratorConfig, backends: ScriptedBackends, security?: SecurityConfig['api']): Promise<BootedOrchestrator> {
  const store = new InMemoryKeyValueStore();
  const module = OrchestratorModule.forRoot({
    config,
    backends: async () => backends,
    sharedStore: () => ({ store, stats: () => undefined, close: async () => undefined }),
    log: () => undefined,
    ...(security === undefined ? {} : { security }),
  });
  const { app, grpcPort, httpPort } = await startOrchestratorApp(module, config, security?.tls, false);
  return { app, port: grpcPort, httpPort, store };
}
