import { createRelayGrpcServer, type RelayGrpcServer } from '@relayllm/grpc-api';
import { createRelayHttpServer, RelayHttpApi, type RelayHttpServer, REFERENCE_PLAYGROUND_EXAMPLES } from '@relayllm/http-api';
import type { RelayServiceHandler } from '@relayllm/front-door';
import type { RelayModels } from '@relayllm/relay-core';
import { apiKeyInterceptor } from '@relayllm/security';
import type { EmbeddedApiSecurity, RelayllmConfig } from './config';
import { listenAddress } from './embedded-host';

/** A bind failure (port in use, bad host) is a startup refusal, not a crash. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

/** The ports `relayllm serve` answers on, over one front door. */
export interface EmbeddedApiServers {
  grpc: RelayGrpcServer;
  grpcPort: number;
  /** The OpenAI-compatible API and the playground; undefined unless an HTTP port is configured. */
  http: { server: RelayHttpServer; port: number } | undefined;
  /** Both at once: stop accepting, let calls in flight finish for `graceMs`, then abort them. */
  close(graceMs: number): Promise<void>;
}

type ServersConfig = Pick<RelayllmConfig, 'host' | 'port' | 'httpPort' | 'defaultMaxTokens'>;

/**
 * The gRPC API and, with an HTTP port, the OpenAI-compatible API plus the
 * playground, both over `relay` and on the same host; the same API keys
 * open both. A port that cannot be bound closes what was started and is a
 * ListenError.
 */
export async function startApiServers(
  relay: RelayServiceHandler,
  models: RelayModels,
  config: ServersConfig,
  security: EmbeddedApiSecurity = { quotaLlmTokensPerMinute: 0 },
): Promise<EmbeddedApiServers> {
  const keys = security.apiKeys;
  const grpc = createRelayGrpcServer({ relay, serverOptions: { interceptors: keys === undefined ? [] : [apiKeyInterceptor(keys)] } });
  const grpcPort = await bind(listenAddress(config.host, config.port), () => grpc.listen(listenAddress(config.host, config.port)), () => grpc.close(0));
  let http: EmbeddedApiServers['http'];
  if (config.httpPort !== undefined) {
    const api = new RelayHttpApi({ relay, models: () => models, defaultMaxTokens: config.defaultMaxTokens, apiKeys: keys, playground: { examples: REFERENCE_PLAYGROUND_EXAMPLES } });
    const server = createRelayHttpServer(api);
    const address = listenAddress(config.host, config.httpPort);
    const port = await bind(address, () => server.listen(config.host, config.httpPort ?? 0), async () => {
      await server.close(0);
      await grpc.close(0);
    });
    http = { server, port };
  }
  return {
    grpc,
    grpcPort,
    http,
    close: async (graceMs) => {
      await Promise.all([grpc.close(graceMs), http?.server.close(graceMs)]);
    },
  };
}

async function bind(address: string, listen: () => Promise<number>, undo: () => Promise<void>): Promise<number> {
  try {
    return await listen();
  } catch (error) {
    await undo();
    throw new ListenError(`cannot listen on ${address}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
