import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Module, type DynamicModule } from '@nestjs/common';
import type { RelayInstrumentation } from '@relayllm/observability';
import { SystemClock, type ChatTemplateSource } from '@relayllm/relay-core';
import { grpcServerSecurity, llmTokenQuota, type ApiSecurityConfig } from '@relayllm/security';
import type { BackendsFactory, OrchestratorBackends } from './backends';
import type { OrchestratorConfig } from './config';
import { RelayGrpcHost } from './relay-grpc.host';
import { RelayOrchestrationService } from './relay-orchestration.service';
import { createSharedStore, type SharedStoreHandle } from './shared-store';

export const ORCHESTRATOR_CONFIG = Symbol('ORCHESTRATOR_CONFIG');
export const ORCHESTRATOR_BACKENDS = Symbol('ORCHESTRATOR_BACKENDS');
export const SHARED_STORE = Symbol('SHARED_STORE');

export interface OrchestratorModuleOptions {
  config: OrchestratorConfig;
  backends: BackendsFactory;
  /** Default: Redis per config (createSharedStore). */
  sharedStore?: () => SharedStoreHandle;
  log?: (line: string) => void;
  /** Spans and relay metrics (libs/observability); absent = not observed. */
  instrumentation?: RelayInstrumentation;
  /** TLS, API keys, per-key LLM token quota (config.ts loadSecurityConfig); absent = all off. */
  security?: ApiSecurityConfig;
  /** The operator's chat template (config.ts loadChatTemplate), replacing the SLM's own. */
  chatTemplate?: ChatTemplateSource;
}

/**
 * The orchestrator's wiring. Providers are built by factories (no
 * constructor injection by type), so the classes stay plain and testable
 * without Nest; Nest owns the lifecycle (RelayGrpcHost's hooks).
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
        { provide: SHARED_STORE, useFactory: () => (options.sharedStore ?? (() => createSharedStore(options.config, log)))() },
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
      ],
      exports: [RelayGrpcHost, RelayOrchestrationService],
    };
  }
}
