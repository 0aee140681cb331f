import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import type { RelayHttpApi } from '@relayllm/http-api';
import type { RelayInstrumentation } from '@relayllm/observability';
import { SystemClock, type ChatTemplateSource } from '@relayllm/relay-core';
import { grpcServerSecurity, llmTokenQuota, type ApiSecurityConfig } from '@relayllm/security';
import type { BackendsFactory, OrchestratorBackends } from './backends';
import type { OrchestratorConfig } from './config';
import { RelayGrpcHost } from './relay-grpc.host';
import { createOrchestratorHttpApi, OpenAiNotFoundFilter, RelayHttpHost } from './relay-http.host';
import { RelayOrchestrationService } from './relay-orchestration.service';
import { createSharedStore, type SharedStoreEvents, type SharedStoreHandle } from './shared-store';

export const ORCHESTRATOR_CONFIG = Symbol('ORCHESTRATOR_CONFIG');
export const ORCHESTRATOR_BACKENDS = Symbol('ORCHESTRATOR_BACKENDS');
export const SHARED_STORE = Symbol('SHARED_STORE');
export const RELAY_HTTP_API = Symbol('RELAY_HTTP_API');

export interface OrchestratorModuleOptions {
  config: OrchestratorConfig;
  backends: BackendsFactory;
  /** Default: Redis per config (createSharedStore). */
  sharedStore?: () => SharedStoreHandle;
  /** Where the shared store's failures and bypasses go (default: the log). */
  storeEvents?: SharedStoreEvents;
  log?: (line: string) => void;
  /** Spans and relay metrics (libs/observability); absent = not observed. */
  instrumentation?: RelayInstrumentation;
  /** TLS, API keys, per-key LLM token quota (config.ts loadSecurityConfig); absent = all off. */
  security?: ApiSecurityConfig;
  /** The operator's chat template (config.ts loadChatTemplate), replacing the SLM's own. */
  chatTemplate?: ChatTemplateSource;
}

/**
 * The HTTP port's providers (config.httpPort set; the app is then a Nest HTTP
 * application on the Fastify adapter, orchestrator-app.ts): the OpenAI-compatible
 * API over the same RelayOrchestrationService as gRPC, with the same API keys,
 * its host, and the filter that answers Nest's not-found route in OpenAI's shape.
 */
function httpProviders(options: OrchestratorModuleOptions, log: (line: string) => void): Provider[] {
  return [
    {
      provide: RELAY_HTTP_API,
      inject: [RelayOrchestrationService],
      useFactory: (service: RelayOrchestrationService) => createOrchestratorHttpApi(service, options.config, options.security?.apiKeys, log),
    },
    {
      provide: RelayHttpHost,
      inject: [RELAY_HTTP_API, HttpAdapterHost],
      useFactory: (api: RelayHttpApi, adapterHost: HttpAdapterHost) => new RelayHttpHost(options.config, api, adapterHost),
    },
    { provide: APP_FILTER, inject: [RELAY_HTTP_API], useFactory: (api: RelayHttpApi) => new OpenAiNotFoundFilter(api) },
  ];
}

/**
 * The orchestrator's wiring. Providers are built by factories (no
 * constructor injection by type), so the classes stay plain and testable
 * without Nest; Nest owns the lifecycle (RelayGrpcHost's and RelayHttpHost's
 * hooks). No controllers: the protocol adapters (grpc-api, http-api) own their routes.
 */
@Module({})
export class OrchestratorModule {
  static forRoot(options: OrchestratorModuleOptions): DynamicModule {
    const log = options.log ?? ((line: string) => console.error(`[orchestrator] ${line}`));
    const observed = options.instrumentation;
    const quota = options.security && llmTokenQuota(options.security);
    return {
      module: OrchestratorModule,
      providers: [
        { provide: ORCHESTRATOR_CONFIG, useValue: options.config },
        { provide: SHARED_STORE, useFactory: () => (options.sharedStore ?? (() => createSharedStore(options.config, options.storeEvents ?? { warn: log })))() },
        { provide: ORCHESTRATOR_BACKENDS, inject: [SHARED_STORE], useFactory: (shared: SharedStoreHandle) => options.backends(shared.store) },
        {
          provide: RelayOrchestrationService,
          inject: [ORCHESTRATOR_BACKENDS, SHARED_STORE],
          useFactory: (backends: OrchestratorBackends, shared: SharedStoreHandle) =>
            new RelayOrchestrationService(options.config, {
              backends,
              store: shared.store,
              clock: new SystemClock(),
              replicaId: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
              log,
              observer: observed,
              observeLlm: observed && ((pool) => observed.llmPool(pool)),
              quota,
              chatTemplate: options.chatTemplate,
            }),
        },
        {
          provide: RelayGrpcHost,
          inject: [RelayOrchestrationService, ORCHESTRATOR_BACKENDS, SHARED_STORE],
          useFactory: (service: RelayOrchestrationService, backends: OrchestratorBackends, shared: SharedStoreHandle) =>
            new RelayGrpcHost(options.config, service, backends, shared, options.security && grpcServerSecurity(options.security)),
        },
        ...(options.config.httpPort === undefined ? [] : httpProviders(options, log)),
      ],
      exports: [RelayGrpcHost, RelayOrchestrationService],
    };
  }
}
