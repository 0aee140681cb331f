import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from './app/config';
import { createNatsBackends, type LlmPoolFactory } from './app/nats-backends';
import { OrchestratorModule } from './app/orchestrator.module';
import { RelayGrpcHost } from './app/relay-grpc.host';
import { createLlmPool } from './app/llm-pool.factory';

/** Printed on stdout once the API listens (the cluster launcher and tests wait for it). */
export const READY_LINE_PREFIX = 'orchestrator ready';

const log = (line: string): void => void process.stderr.write(`[orchestrator] ${line}\n`);

/** Starts the orchestrator (bin/orchestrator.cjs calls it); exits the process on SIGINT/SIGTERM after a graceful close. */
export async function main(llmPoolFactory: LlmPoolFactory = createLlmPool): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(
    OrchestratorModule.forRoot({ config, backends: (store) => createNatsBackends(config, store, llmPoolFactory, log), log }),
    { logger: ['error', 'warn'] },
  );
  await app.init();
  const host = app.get(RelayGrpcHost);
  process.stdout.write(`${READY_LINE_PREFIX} address=${config.host}:${host.port} pid=${process.pid}\n`);
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string): void => {
    stopping ??= (async () => {
      log(`${signal}: closing (grace ${config.shutdownGraceMs} ms)`);
      await app.close();
      process.exit(0);
    })().catch((error: unknown) => {
      log(`shutdown failed: ${String(error)}`);
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
