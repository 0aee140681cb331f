import { DEFAULT_MODEL_ID } from '@relayllm/http-api';
import { RELAY_SERVICE_NAME } from '@relayllm/proto';
import { RelayMetrics, startAppObservability, type ObservabilityConfig } from '@relayllm/observability';
import { llmTokenQuota } from '@relayllm/security';
import { ListenError, startApiServers, type EmbeddedApiServers } from '../app/api-servers';
import type { EmbeddedApiSecurity, RelayllmConfig } from '../app/config';
import { startEmbeddedEngines, type EmbeddedEngines } from '../app/embedded-engines';
import { dialAddress, listenAddress } from '../app/embedded-host';
import { createObservedEmbeddedRelay } from '../app/embedded-observability';
import type { ServeArgs } from './args';
import { runDemo } from './demo';
import { log, type CliIo } from './io';

export { ListenError } from '../app/api-servers';

/** What `serve` reads besides its configuration: observability (OTEL_*, metrics) and API security (keys, quota). */
export interface ServeSettings {
  observability?: ObservabilityConfig;
  security?: EmbeddedApiSecurity;
}

/**
 * `relayllm serve`: the gRPC API (RelayService, health, reflection) and, with
 * an HTTP port, the OpenAI-compatible API and the playground, on the embedded
 * engines until `shutdown` aborts; then both servers drain for
 * shutdownGraceMs and the engines close. Resolves with the exit code.
 */
export async function runServe(args: ServeArgs, config: RelayllmConfig, io: CliIo, shutdown: AbortSignal, settings: ServeSettings = {}): Promise<number> {
  const engines = await startEmbeddedEngines(config);
  const observabilityConfig = settings.observability;
  // Tracing/metrics only when configured (OTEL_*, RELAYLLM_METRICS_PORT); otherwise the plain relay.
  const observability =
    observabilityConfig === undefined ? undefined : await startAppObservability(observabilityConfig, { service: 'relayllm' }).catch(async (error: unknown) => {
      await engines.close();
      throw new ListenError(`cannot start observability: ${error instanceof Error ? error.message : String(error)}`);
    });
  const metrics = observability?.metricsServer === undefined ? undefined : new RelayMetrics(observability.registry);
  const observed = observability && { tracing: observability.tracing, metrics, logger: observability.logger };
  const quota = settings.security === undefined ? undefined : llmTokenQuota(settings.security);
  const relay = createObservedEmbeddedRelay(engines, config, observed, quota);
  let servers: EmbeddedApiServers;
  try {
    servers = await startApiServers(relay, engines.models, config, settings.security);
  } catch (error) {
    await engines.close();
    await observability?.shutdown();
    throw error;
  }
  logStarted(io, config, engines, servers, settings);
  if (observability?.metricsServer !== undefined) log(io, `metrics: http://${dialAddress(observabilityConfig?.metricsHost ?? '127.0.0.1', observability.metricsServer.port)}/metrics`);
  const tracing = observabilityConfig?.tracing;
  if (observability?.tracing.enabled === true && tracing !== undefined) {
    log(io, tracing.exporter === 'console' ? 'tracing: spans to the console' : `tracing: OTLP ${tracing.protocol} to ${tracing.url ?? 'the exporter default endpoint'}`);
  }
  try {
    if (args.demo && !shutdown.aborted) await runDemo(dialAddress(config.host, servers.grpcPort), config, io, shutdown);
    if (!shutdown.aborted) {
      log(io, readyLine(config.host, { grpcPort: servers.grpcPort, httpPort: servers.http?.port, metricsPort: observability?.metricsServer?.port, pid: process.pid }));
      await new Promise<void>((resolve) => shutdown.addEventListener('abort', () => resolve(), { once: true }));
    }
  } finally {
    log(io, `shutting down (draining calls for up to ${config.shutdownGraceMs} ms)`);
    await servers.close(config.shutdownGraceMs);
    await engines.close();
    await observability?.shutdown();
    log(io, 'stopped');
  }
  return 0;
}

/** The ports `serve` bound (undefined: that server is off). */
export interface ServePorts {
  grpcPort: number;
  httpPort: number | undefined;
  metricsPort: number | undefined;
  pid: number;
}

/**
 * The one line a script waits for (on stderr, like every `serve` line: stdout
 * carries only answers). Its key=value fields are those of the cluster apps'
 * ready lines (address=, http=, metrics=, pid=), so one pattern reads them all;
 * the hints for a person follow in parentheses.
 */
export function readyLine(host: string, ports: ServePorts): string {
  const grpc = dialAddress(host, ports.grpcPort);
  const http = ports.httpPort === undefined ? '' : ` http=${ports.httpPort}`;
  const metrics = ports.metricsPort === undefined ? '' : ` metrics=${ports.metricsPort}`;
  const playground = ports.httpPort === undefined ? '' : `playground http://${dialAddress(host, ports.httpPort)}/ · `;
  return `ready address=${grpc}${http}${metrics} pid=${ports.pid} (${playground}grpcurl -plaintext ${grpc} list · Ctrl-C to stop)`;
}

function logStarted(io: CliIo, config: RelayllmConfig, engines: EmbeddedEngines, servers: EmbeddedApiServers, settings: ServeSettings): void {
  log(io, `serving ${RELAY_SERVICE_NAME} (+ grpc.health.v1, reflection) on ${listenAddress(config.host, servers.grpcPort)}`);
  if (servers.http !== undefined) {
    const origin = `http://${dialAddress(config.host, servers.http.port)}`;
    log(io, `playground: ${origin}/`);
    log(io, `OpenAI-compatible API: base URL ${origin}/v1 (model "${DEFAULT_MODEL_ID}")`);
  }
  const keys = settings.security?.apiKeys;
  if (keys !== undefined) log(io, `API keys: ${keys.size} (Authorization: Bearer <key>, on every port)`);
  const { slm, llm } = engines.models;
  log(io, `SLM: ${engines.served.slm} (commands as ${slm.profile.commandSyntax.kind}s); LLM: ${engines.served.llm}`);
  log(io, `context ${engines.contextSize} tokens; per GGUF model: ${config.sequences} sequences, ${config.threads} llama.cpp threads${slm.profile.vocabularyId === llm.profile.vocabularyId ? '; one vocabulary: token ids travel' : '; two vocabularies: text travels'}`);
}
