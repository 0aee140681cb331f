import type { ArgumentsHost, BeforeApplicationShutdown, ExceptionFilter, OnModuleInit } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { closeRelayHttp, fastifyRequestView, fastifyResponder, relayHttpPlugin, RelayHttpApi, type ApiKeyVerifier, REFERENCE_PLAYGROUND_EXAMPLES } from '@relayllm/http-api';
import type { OrchestratorConfig } from './config';
import type { RelayOrchestrationService } from './relay-orchestration.service';

/**
 * The OpenAI-compatible API over the orchestrator's front door: the same
 * handler as gRPC (validation, framing, deadlines, quota, admission and
 * observation happen there once), the pair the front door serves for
 * `/v1/models` (503 MODELS_NOT_DESCRIBED until the workers described it), the
 * gRPC port's API keys.
 */
export function createOrchestratorHttpApi(
  service: RelayOrchestrationService,
  config: Pick<OrchestratorConfig, 'defaultMaxTokens'>,
  apiKeys: ApiKeyVerifier | undefined,
  log: (line: string) => void,
): RelayHttpApi {
  return new RelayHttpApi({
    relay: service,
    models: () => service.servedModels(),
    defaultMaxTokens: config.defaultMaxTokens,
    apiKeys,
    playground: { examples: REFERENCE_PLAYGROUND_EXAMPLES },
    onError: (error, context) => {
      // The client got OpenAI's error body; an unexpected failure (a bare 500) is logged with its cause.
      if (!context.expected) log(`http ${context.route} ${context.requestId ?? '-'} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    },
  });
}

/**
 * Hosts the HTTP API on the Nest application's Fastify instance (NestJS's
 * Fastify adapter): its routes are registered when the module initialises,
 * before Nest listens. On shutdown, alongside the gRPC server's drain:
 * `/health` turns 503 and the port stops accepting, generations in flight get
 * `shutdownGraceMs`, then are aborted (SERVER_SHUTDOWN), then connections
 * still open are cut; Nest closes the instance after that.
 */
export class RelayHttpHost implements OnModuleInit, BeforeApplicationShutdown {
  private draining: Promise<void> | undefined;

  constructor(
    private readonly config: Pick<OrchestratorConfig, 'shutdownGraceMs'>,
    readonly api: RelayHttpApi,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async onModuleInit(): Promise<void> {
    // Nest sets its own not-found handler at init and Fastify allows one: unknown routes reach OpenAiNotFoundFilter.
    await this.fastify().register(relayHttpPlugin(this.api, { notFoundHandler: false }));
  }

  beforeApplicationShutdown(): Promise<void> {
    this.draining ??= closeRelayHttp(this.fastify(), this.api, this.config.shutdownGraceMs);
    return this.draining;
  }

  private fastify(): FastifyInstance {
    const adapter = this.adapterHost.httpAdapter;
    if (adapter === undefined) throw new Error('the HTTP API needs a Nest HTTP application (NestFactory.create with a FastifyAdapter)');
    return adapter.getInstance<FastifyInstance>();
  }
}

/**
 * The Nest application's exception filter. The orchestrator has no Nest
 * controllers: the only exception Nest itself handles is its not-found route,
 * answered with OpenAI's 404 body like every other error of the port.
 */
export class OpenAiNotFoundFilter implements ExceptionFilter {
  constructor(private readonly api: RelayHttpApi) {}

  catch(_exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    void this.api.notFound(fastifyRequestView(http.getRequest<FastifyRequest>()), fastifyResponder(http.getResponse<FastifyReply>()));
  }
}
