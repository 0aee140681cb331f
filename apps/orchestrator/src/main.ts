import 'reflect-metadata';
import { runService, type RunningService, type ServiceLog } from '@relayllm/app-kit';
import { FaultMetrics, RelayInstrumentation, RelayMetrics, startAppObservability } from '@relayllm/observability';
import { loadOrchestratorStartup } from './app/config';
import { createNatsBackends, type LlmPoolFactory } from './app/nats-backends';
import { OrchestratorModule } from './app/orchestrator.module';
import { startOrchestratorApp } from './app/orchestrator-app';
import { createLlmPool } from './app/llm-pool.factory';

/** Printed on stdout once the API listens (the cluster launcher and tests wait for it). */
export const READY_LINE_PREFIX = 'orchestrator ready';

/** Starts the orchestrator: observability, the backends over NATS and the workers, then the public gRPC API and, when configured, the HTTP API. */
async function start(log: ServiceLog, llmPoolFactory: LlmPoolFactory): Promise<RunningService> {
  // Refuses to start on a half-configured TLS / key / NATS setup (ConfigError naming the variable).
  const { config, security, observability: observabilityConfig, chatTemplate } = loadOrchestratorStartup();
  // Spans and relay metrics only when configured (the plain service otherwise).
  const observability = await startAppObservability(observabilityConfig, { service: 'relayllm-orchestrator' });
  const logger = observability.logger;
  log.use((line) => logger.info(line));
  const metrics = observability.metricsServer === undefined ? undefined : new RelayMetrics(observability.registry);
  // Reissues, failovers and broker losses: counted where the backends handle them.
  const faults = metrics === undefined ? undefined : new FaultMetrics(observability.registry);
  const instrumentation =
    observability.tracing.enabled || metrics !== undefined ? new RelayInstrumentation({ tracer: observability.tracing.tracer, metrics, faults, logger }) : undefined;
  const { app, grpcPort, httpPort } = await startOrchestratorApp(
    OrchestratorModule.forRoot({
      config,
      backends: (store) => createNatsBackends(config, store, llmPoolFactory, log, instrumentation, { natsAuth: security.nats, slmTls: security.slm }),
      log,
      storeEvents: { warn: (line) => logger.warn({}, line), bypassed: (operation) => metrics?.storeBypass.inc({ operation }) },
      instrumentation,
      security: security.api,
      chatTemplate,
    }),
    config,
    security.api.tls,
    ['error', 'warn'],
  );
  const metricsAt = observability.metricsServer === undefined ? '' : ` metrics=${observability.metricsServer.port}`;
  const httpAt = httpPort === undefined ? '' : ` http=${httpPort}`;
  return {
    readyLine: `${READY_LINE_PREFIX} address=${config.host}:${grpcPort} pid=${process.pid}${metricsAt}${httpAt}`,
    stop: async () => {
      log(`closing (grace ${config.shutdownGraceMs} ms)`);
      await app.close();
      await observability.shutdown();
    },
  };
}

/** Runs the orchestrator until SIGTERM/SIGINT (bin/orchestrator.cjs calls it). */
export function main(llmPoolFactory: LlmPoolFactory = createLlmPool): Promise<void> {
  return runService({ name: 'orchestrator', start: (log) => start(log, llmPoolFactory) });
}
