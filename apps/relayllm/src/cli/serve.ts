import { createRelayGrpcServer } from '@relayllm/grpc-api';
import { RELAY_SERVICE_NAME } from '@relayllm/proto';
import { RelayMetrics, startAppObservability, type ObservabilityConfig } from '@relayllm/observability';
import type { RelayllmConfig } from '../app/config';
import { startEmbeddedEngines } from '../app/embedded-engines';
import { dialAddress, listenAddress } from '../app/embedded-host';
import { createObservedEmbeddedRelay } from '../app/embedded-observability';
import type { ServeArgs } from './args';
import { runDemo } from './demo';
import { log, type CliIo } from './io';

/** A bind failure (port in use, bad host) is a startup refusal, not a crash. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

/**
 * `relayllm serve`: the gRPC API (RelayService, health, reflection) on the
 * embedded engines until `shutdown` aborts; then the server drains for
 * shutdownGraceMs and the engines close. Resolves with the exit code.
 */
export async function runServe(
  args: ServeArgs,
  config: RelayllmConfig,
  io: CliIo,
  shutdown: AbortSignal,
  observabilityConfig?: ObservabilityConfig,
): Promise<number> {
  const engines = await startEmbeddedEngines(config);
  // Tracing/metrics only when configured (OTEL_*, RELAYLLM_METRICS_PORT); otherwise the plain relay.
  const observability =
    observabilityConfig === undefined ? undefined : await startAppObservability(observabilityConfig, { service: 'relayllm' }).catch(async (error: unknown) => {
      await engines.close();
      throw new ListenError(`cannot start observability: ${error instanceof Error ? error.message : String(error)}`);
    });
  const relay = createObservedEmbeddedRelay(
    engines,
    config,
    observability && {
      tracing: observability.tracing,
      metrics: observability.metricsServer === undefined ? undefined : new RelayMetrics(observability.registry),
      logger: observability.logger,
    },
  );
  const server = createRelayGrpcServer({ relay });
  const address = listenAddress(config.host, config.port);
  let port: number;
  try {
    port = await server.listen(address);
  } catch (error) {
    await server.close(0);
    await engines.close();
    await observability?.shutdown();
    throw new ListenError(`cannot listen on ${address}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const bound = listenAddress(config.host, port);
  log(io, `serving ${RELAY_SERVICE_NAME} (+ grpc.health.v1, reflection) on ${bound}`);
  if (observability?.metricsServer !== undefined) log(io, `metrics: http://${dialAddress(observabilityConfig?.metricsHost ?? '127.0.0.1', observability.metricsServer.port)}/metrics`);
  const tracing = observabilityConfig?.tracing;
  if (observability?.tracing.enabled === true && tracing !== undefined) {
    log(io, tracing.exporter === 'console' ? 'tracing: spans to the console' : `tracing: OTLP ${tracing.protocol} to ${tracing.url ?? 'the exporter default endpoint'}`);
  }
  const { slm, llm } = engines.models;
  log(io, `SLM: ${engines.served.slm} (commands as ${slm.profile.commandSyntax.kind}s); LLM: ${engines.served.llm}`);
  log(io, `context ${engines.contextSize} tokens; per GGUF model: ${config.sequences} sequences, ${config.threads} llama.cpp threads${slm.profile.vocabularyId === llm.profile.vocabularyId ? '; one vocabulary: token ids travel' : '; two vocabularies: text travels'}`);
  try {
    if (args.demo && !shutdown.aborted) await runDemo(dialAddress(config.host, port), config, io, shutdown);
    if (!shutdown.aborted) {
      log(io, `ready: grpcurl -plaintext ${dialAddress(config.host, port)} list  (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => shutdown.addEventListener('abort', () => resolve(), { once: true }));
    }
  } finally {
    log(io, `shutting down (draining calls for up to ${config.shutdownGraceMs} ms)`);
    await server.close(config.shutdownGraceMs);
    await engines.close();
    await observability?.shutdown();
    log(io, 'stopped');
  }
  return 0;
}
