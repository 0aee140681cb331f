import { createRelayClient, createRelayGrpcServer, type RelayClient, type RelayGrpcServer } from '@relayllm/grpc-api';
import { referenceModelDir } from '@relayllm/testing';
import { llmTokenQuota } from '@relayllm/security';
import { startApiServers, type EmbeddedApiServers } from '../app/api-servers';
import { loadConfig, type EmbeddedApiSecurity, type RelayllmConfig } from '../app/config';
import type { LlamaCppEngine } from '@relayllm/engines';
import type { RelayModels } from '@relayllm/relay-core';
import { llamaEngineOf, startEmbeddedEngines, type EmbeddedEngines } from '../app/embedded-engines';
import { createEmbeddedRelay } from '../app/embedded-host';
import { ObservedEngine } from './observed-engine';

/** The app's configuration for specs: defaults, the reference pair, no environment. */
export function specConfig(env: Record<string, string> = {}): RelayllmConfig {
  return loadConfig({ env, flags: { modelsDir: referenceModelDir() } });
}

/** The real engines of the app (referenceModelDir()), each behind an ObservedEngine. */
export interface SpecEngines {
  real: EmbeddedEngines;
  /** The llama.cpp engines behind `real` (their busy sequences and evaluated tokens); throws for a model on a server. */
  readonly llama: { slm: LlamaCppEngine; llm: LlamaCppEngine };
  slm: ObservedEngine;
  llm: ObservedEngine;
  models: RelayModels;
  contextSize: number;
}

export async function startSpecEngines(config: RelayllmConfig = specConfig()): Promise<SpecEngines> {
  const real = await startEmbeddedEngines(config);
  return {
    real,
    get llama() {
      return { slm: llamaEngineOf(real.slm), llm: llamaEngineOf(real.llm) };
    },
    slm: new ObservedEngine(real.slm),
    llm: new ObservedEngine(real.llm),
    models: real.models,
    contextSize: real.contextSize,
  };
}

export interface SpecServer {
  server: RelayGrpcServer;
  client: RelayClient;
  close(): Promise<void>;
}

/** The embedded gRPC server, wired as `relayllm serve` wires it, on 127.0.0.1 (ephemeral port), plus a client. */
export async function startSpecServer(engines: SpecEngines, config: RelayllmConfig = specConfig()): Promise<SpecServer> {
  const server = createRelayGrpcServer({ relay: createEmbeddedRelay(engines, config) });
  const port = await server.listen('127.0.0.1:0');
  const client = createRelayClient(`127.0.0.1:${port}`);
  await client.waitForReady();
  return {
    server,
    client,
    close: async () => {
      client.close();
      await server.close(1_000);
    },
  };
}

/** Engines and the gRPC server over them, as one thing to start and close (most specs need both). */
export interface SpecApi {
  engines: SpecEngines;
  api: SpecServer;
  close(): Promise<void>;
}

export async function startSpecApi(config: RelayllmConfig = specConfig()): Promise<SpecApi> {
  const engines = await startSpecEngines(config);
  try {
    const api = await startSpecServer(engines, config);
    return {
      engines,
      api,
      close: async () => {
        await api.close();
        await engines.real.close();
      },
    };
  } catch (error) {
    await engines.real.close();
    throw error;
  }
}

export interface SpecHttpServer {
  servers: EmbeddedApiServers;
  /** http://127.0.0.1:<port> */
  origin: string;
  close(): Promise<void>;
}

/**
 * Both ports as `relayllm serve --http-port` starts them (startApiServers),
 * on 127.0.0.1 ephemeral ports, over these engines; `security` as
 * loadApiSecurity reads it (API keys, quota).
 */
export async function startSpecHttpServer(engines: SpecEngines, config: RelayllmConfig = specConfig(), security?: EmbeddedApiSecurity): Promise<SpecHttpServer> {
  const relay = createEmbeddedRelay(engines, config, undefined, security === undefined ? undefined : llmTokenQuota(security));
  const servers = await startApiServers(relay, engines.models, { ...config, host: '127.0.0.1', port: 0, httpPort: 0 }, security);
  const port = servers.http?.port;
  if (port === undefined) throw new Error('the HTTP port did not start');
  return { servers, origin: `http://127.0.0.1:${port}`, close: () => servers.close(1_000) };
}
