import { createRelayGrpcServer } from '@relayllm/grpc-api';
import { RELAY_SERVICE_NAME } from '@relayllm/proto';
import type { RelayllmConfig } from '../app/config';
import { startEmbeddedEngines } from '../app/embedded-engines';
import { createEmbeddedRelay, dialAddress, listenAddress } from '../app/embedded-host';
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
export async function runServe(args: ServeArgs, config: RelayllmConfig, io: CliIo, shutdown: AbortSignal): Promise<number> {
  const engines = await startEmbeddedEngines(config);
  const server = createRelayGrpcServer({ relay: createEmbeddedRelay(engines, config) });
  const address = listenAddress(config.host, config.port);
  let port: number;
  try {
    port = await server.listen(address);
  } catch (error) {
    await server.close(0);
    await engines.close();
    throw new ListenError(`cannot listen on ${address}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const bound = listenAddress(config.host, port);
  log(io, `serving ${RELAY_SERVICE_NAME} (+ grpc.health.v1, reflection) on ${bound}`);
  log(io, `models: ${config.modelsDir} (context ${engines.contextSize} tokens; per engine: ${config.sequences} sequences, ${config.threads} llama.cpp threads)`);
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
    log(io, 'stopped');
  }
  return 0;
}
