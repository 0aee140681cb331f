import type { Registry } from 'prom-client';
import { createLogger, type RelayLogger } from './logger';
import { createMetricsRegistry } from './metrics';
import { startMetricsServer, type MetricsServer } from './metrics-server';
import type { ObservabilityConfig } from './observability-config';
import { startTracing, type StartTracingOptions, type Tracing } from './tracing';

export interface AppObservability {
  tracing: Tracing;
  registry: Registry;
  /** Present when a metrics port was configured (or the app has a default). */
  metricsServer?: MetricsServer;
  logger: RelayLogger;
  /** Flushes spans and closes /metrics. Idempotent. */
  shutdown(): Promise<void>;
}

export interface AppObservabilityOptions {
  /** service.name default and the `service` label / log field. */
  service: string;
  /** The app's /metrics port when RELAYLLM_METRICS_PORT is unset (undefined = no endpoint, 0 = any free port). */
  defaultMetricsPort?: number;
  spanProcessors?: StartTracingOptions['spanProcessors'];
  registerGlobal?: boolean;
}

/** Tracing, the metrics registry and endpoint, and the logger of one app, from its config. */
export async function startAppObservability(config: ObservabilityConfig, options: AppObservabilityOptions): Promise<AppObservability> {
  const service = config.tracing.serviceName ?? options.service;
  const tracing = startTracing(config.tracing, {
    defaultServiceName: options.service,
    spanProcessors: options.spanProcessors,
    registerGlobal: options.registerGlobal,
  });
  const registry = createMetricsRegistry({ service });
  // Unset: the app's default (none unless it names one); 0: any free port (logged by the app).
  const port = config.metricsPort ?? options.defaultMetricsPort;
  const metricsServer = port === undefined ? undefined : await startMetricsServer({ registry, port, host: config.metricsHost });
  const logger = createLogger({ service, level: config.logLevel, logContent: config.logContent });
  let stopping: Promise<void> | undefined;
  return {
    tracing,
    registry,
    metricsServer,
    logger,
    shutdown: () =>
      (stopping ??= (async () => {
        await metricsServer?.close();
        await tracing.shutdown().catch(() => undefined);
      })()),
  };
}
