import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { extractTraceHeaders } from '@relayllm/observability';
import { SlmWorkerServiceService } from '@relayllm/proto';
import type { Engine } from '@relayllm/relay-core';
import { SlmStreamService } from '@relayllm/slm-remote';
import { HealthImplementation } from 'grpc-health-check';
import { advertisedAddress, type SlmWorkerConfig } from './config';
import { SLM_ENGINE, SLM_SERVER_CREDENTIALS, SLM_WORKER_CONFIG } from './tokens';

export const SLM_SERVICE_NAME = 'relayllm.v1.SlmWorkerService';

/** How long a stopped generate may take to give its llama.cpp sequence back (one model step is a few ms). */
const ABORT_GRACE_MS = 2_000;

/**
 * Hosts the grpc-js server: SlmWorkerService (SlmStreamService over the
 * worker's engine) and grpc.health.v1.Health. Listens when the app boots,
 * and on shutdown refuses new streams, lets running generates finish for the
 * grace, ends the remaining streams with UNAVAILABLE (clients fail over), then
 * stops the server. The engine is closed last.
 */
@Injectable()
export class SlmGrpcHost implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly service: SlmStreamService;
  private readonly server: Server;
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', [SLM_SERVICE_NAME]: 'NOT_SERVING' });
  private boundAddress = '';
  private stopping: Promise<void> | undefined;

  constructor(
    @Inject(SLM_WORKER_CONFIG) private readonly config: SlmWorkerConfig,
    @Inject(SLM_ENGINE) private readonly engine: Engine,
    @Inject(SLM_SERVER_CREDENTIALS) private readonly credentials: ServerCredentials,
  ) {
    this.service = new SlmStreamService({
      engine,
      maxStreams: config.maxSequences,
      flushTokens: config.flushTokens,
      flushMs: config.flushMs,
      idleTimeoutMs: config.streamIdleMs,
      abortGraceMs: ABORT_GRACE_MS,
      // The engine's spans become children of the orchestrator's slm.segment (no-op when nobody traces).
      runInTraceContext: (traceContext, start) => context.with(extractTraceHeaders(traceContext, context.active()), start),
    });
    this.server = new Server({
      'grpc.max_receive_message_length': config.maxMessageBytes,
      'grpc.max_send_message_length': config.maxMessageBytes,
      // Orchestrators ping every second while streams are open, to notice a frozen or dead worker within ~6 s; accept that.
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 1_000,
    });
    this.server.addService(SlmWorkerServiceService, this.service.implementation());
    this.health.addToServer(this.server);
  }

  /**
   * What the worker announces as busy: its open streams, or the engine's
   * leased sequences if more (a stream's slot is freed only once its generate
   * gave the sequence back, so 0 means nothing is left running).
   */
  get activeSequences(): number {
    const engine = this.engine as Partial<{ busySequences(): number }>;
    return Math.max(this.service.activeStreams, engine.busySequences?.() ?? 0);
  }

  /** host:port other processes dial (after boot). */
  get address(): string {
    return this.boundAddress;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${this.config.host}:${this.config.port}`, this.credentials, (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.boundAddress = advertisedAddress(this.config, port);
    this.setServing('SERVING');
  }

  /** Stops serving (see the class comment). Idempotent. */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      this.setServing('NOT_SERVING');
      await this.service.shutdown(graceMs);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          this.server.forceShutdown();
          resolve();
        }, ABORT_GRACE_MS);
        this.server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    })();
    return this.stopping;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop(0);
    await this.engine.close();
  }

  private setServing(status: 'SERVING' | 'NOT_SERVING'): void {
    this.health.setStatus('', status);
    this.health.setStatus(SLM_SERVICE_NAME, status);
  }
}
