import type { BeforeApplicationShutdown, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ServerCredentials, ServerInterceptor } from '@grpc/grpc-js';
import { createRelayGrpcServer, type RelayGrpcServer } from '@relayllm/grpc-api';
import { RELAY_SERVICE_NAME } from '@relayllm/proto';
import type { OrchestratorBackends } from './backends';
import type { OrchestratorConfig } from './config';
import type { RelayOrchestrationService } from './relay-orchestration.service';
import type { SharedStoreHandle } from './shared-store';

/** host:port for binding; IPv6 literals in brackets. */
export function listenAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Hosts the public gRPC API (relayllm.v1.RelayService + health + reflection,
 * libs/grpc-api) in the Nest lifecycle: listens on bootstrap; the health of
 * `relayllm.v1.RelayService` (the readiness probe) is NOT_SERVING until the
 * workers have described both models, SERVING from then on, while the
 * server's own (`''`, the liveness probe) is SERVING from the start. On
 * shutdown it stops accepting calls and lets calls in flight finish for
 * `shutdownGraceMs` (before Nest's application shutdown, alongside the HTTP
 * port's drain, RelayHttpHost), then closes the backends (SLM streams, NATS)
 * and the shared store, in that order, once every port has drained. Shutdown
 * is idempotent.
 */
export class RelayGrpcHost implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly server: RelayGrpcServer;
  private draining: Promise<void> | undefined;
  private shutdown: Promise<void> | undefined;
  /** The bound port, once listening. */
  port: number | undefined;

  constructor(
    private readonly config: Pick<OrchestratorConfig, 'host' | 'port' | 'shutdownGraceMs'>,
    private readonly service: RelayOrchestrationService,
    private readonly backends: OrchestratorBackends,
    private readonly shared: SharedStoreHandle,
    /** TLS credentials and the API-key interceptor (libs/security); absent = plaintext, open. */
    private readonly security?: { credentials: ServerCredentials; interceptors: ServerInterceptor[] },
  ) {
    this.server = createRelayGrpcServer({ relay: service, serverOptions: { interceptors: security?.interceptors ?? [] } });
  }

  async onApplicationBootstrap(): Promise<void> {
    this.port = await this.server.listen(listenAddress(this.config.host, this.config.port), this.security?.credentials);
    // listen() reports SERVING; no probe can be answered before this line runs (same tick).
    this.setRelayHealth('NOT_SERVING');
    void this.service.ready.then((serving) => {
      if (serving && this.draining === undefined) this.setRelayHealth('SERVING');
    });
  }

  beforeApplicationShutdown(): Promise<void> {
    this.draining ??= this.server.close(this.config.shutdownGraceMs);
    return this.draining;
  }

  onApplicationShutdown(): Promise<void> {
    this.shutdown ??= (async () => {
      await this.beforeApplicationShutdown();
      this.service.dispose();
      await this.backends.close();
      await this.shared.close();
    })();
    return this.shutdown;
  }

  private setRelayHealth(status: 'SERVING' | 'NOT_SERVING'): void {
    this.server.health?.setStatus(RELAY_SERVICE_NAME, status);
  }

  /** Generations in flight (gRPC calls). */
  get activeCalls(): number {
    return this.server.activeCalls;
  }
}
