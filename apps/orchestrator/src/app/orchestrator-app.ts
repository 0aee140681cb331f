import type { DynamicModule, INestApplicationContext, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { HTTP_BODY_LIMIT_BYTES } from '@relayllm/http-api';
import type { ApiSecurityConfig } from '@relayllm/security';
import type { OrchestratorConfig } from './config';
import { listenAddress, RelayGrpcHost } from './relay-grpc.host';

/** The running orchestrator: its Nest application and the ports it bound. */
export interface OrchestratorApp {
  app: INestApplicationContext;
  grpcPort: number;
  /** The OpenAI-compatible API and the playground; undefined when no HTTP port is configured. */
  httpPort: number | undefined;
}

/**
 * NestJS's Fastify adapter for the HTTP port: the HTTP API's body limit, idle
 * keep-alive connections closed on shutdown, and the gRPC port's TLS (and
 * mTLS) when configured, so that both ports are equally protected.
 */
export function orchestratorFastifyAdapter(tls: ApiSecurityConfig['tls']): FastifyAdapter {
  const options = { logger: false, bodyLimit: HTTP_BODY_LIMIT_BYTES, forceCloseConnections: 'idle' as const };
  if (tls === undefined) return new FastifyAdapter(options);
  const { cert, key, ca, requireClientCert } = tls;
  return new FastifyAdapter({ ...options, https: { cert, key, ca, requestCert: requireClientCert, rejectUnauthorized: requireClientCert } });
}

/**
 * Builds and starts the orchestrator's Nest application from its module
 * (OrchestratorModule.forRoot): without an HTTP port an application context
 * (gRPC only); with one, an HTTP application on the Fastify adapter that
 * listens on the same host after the gRPC port is up. A port that cannot be
 * bound closes what was started and throws, naming the address.
 */
export async function startOrchestratorApp(
  module: DynamicModule,
  config: Pick<OrchestratorConfig, 'host' | 'httpPort'>,
  tls: ApiSecurityConfig['tls'],
  logger: LogLevel[] | false,
): Promise<OrchestratorApp> {
  const httpPort = config.httpPort;
  if (httpPort === undefined) {
    const app = await NestFactory.createApplicationContext(module, { logger });
    await app.init();
    return { app, grpcPort: grpcPortOf(app), httpPort: undefined };
  }
  // No Nest body parsers: the HTTP API parses its own bodies (any content type as JSON).
  const app = await NestFactory.create<NestFastifyApplication>(module, orchestratorFastifyAdapter(tls), { logger, bodyParser: false });
  try {
    await app.listen(httpPort, config.host);
  } catch (error) {
    await app.close();
    throw new Error(`cannot listen on ${listenAddress(config.host, httpPort)} (HTTP): ${error instanceof Error ? error.message : String(error)}`);
  }
  return { app, grpcPort: grpcPortOf(app), httpPort: (app.getHttpServer().address() as AddressInfo).port };
}

function grpcPortOf(app: INestApplicationContext): number {
  const port = app.get(RelayGrpcHost).port;
  if (port === undefined) throw new Error('the gRPC API is not listening');
  return port;
}
