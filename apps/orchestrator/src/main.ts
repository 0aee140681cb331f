import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { RelayInstrumentation, RelayMetrics, startAppObservability } from '@relayllm/observability';
import { loadOrchestratorStartup } from './app/config';
import { createNatsBackends, type LlmPoolFactory } from './app/nats-backends';
import { OrchestratorModule } from './app/orchestrator.module';
import { RelayGrpcHost } from './app/relay-grpc.host';
import { createLlmPool } from './app/llm-pool.factory';

/** Printed on stdout once the API listens (the cluster launcher and tests wait for it). */
export const READY_LINE_PREFIX = 'orchestrator ready';

let log = (line: string): void => void process.stderr.write(`[orchestrator] ${line}\n`);

/** Starts the orchestrator (bin/orchestrator.cjs calls it); exits the process on SIGINT/SIGTERM after a graceful close. */
export async function main(llmPoolFactory: LlmPoolFactory = createLlmPool): Promise<void> {
  // Issue #7: refuses to start on a half-configured TLS / key / NATS setup (ConfigError naming the variable).
  const { config, security, observability: observabilityConfig } = loadOrchestratorStartup();
  // Issue #6: spans and relay metrics only when configured (the plain service otherwise).
  const observability = await startAppObservability(observabilityConfig, { service: 'relayllm-orchestrator' });
  const logger = observability.logger;
  log = (line) => logger.info(line);
  const metrics = observability.metricsServer === undefined ? undefined : new RelayMetrics(observability.registry);
  const instrumentation =
    observability.tracing.enabled || metrics !== undefined ? new RelayInstrumentation({ tracer: observability.tracing.tracer, metrics, logger }) : undefined;
  const app = await NestFactory.createApplicationContext(
    OrchestratorModule.forRoot({
      config,
      backends: (store) => createNatsBackends(config, store, llmPoolFactory, log, instrumentation, { natsAuth: security.nats, slmTls: security.slm }),
      log,
      instrumentation,
      security: security.api,
    }),
    { logger: ['error', 'warn'] },
  );
  await app.init();
  const host = app.get(RelayGrpcHost);
  const metricsAt = observability.metricsServer === undefined ? '' : ` metrics=${observability.metricsServer.port}`;
  process.stdout.write(`${READY_LINE_PREFIX} address=${config.host}:${host.port} pid=${process.pid}${metricsAt}\n`);
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string): void => {
    stopping ??= (async () => {
      log(`${signal}: closing (grace ${config.shutdownGraceMs} ms)`);
      await app.close();
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
