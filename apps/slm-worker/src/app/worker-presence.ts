import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { WorkerAnnouncer } from '@relayllm/nats-transport';
import { WorkerKind } from '@relayllm/proto';
import type { SlmWorkerConfig } from './config';
import { SlmGrpcHost } from './slm-grpc.host';
import { NATS_CONNECTION, SLM_WORKER_CONFIG } from './tokens';

/** This worker's heartbeats (kind SLM, its gRPC address): started once it listens, `leaving` sent at shutdown. */
@Injectable()
export class WorkerPresence {
  private announcer: WorkerAnnouncer | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(SLM_WORKER_CONFIG) private readonly config: SlmWorkerConfig,
    @Inject(SlmGrpcHost) private readonly host: SlmGrpcHost,
  ) {}

  /** Starts heartbeating (call after the gRPC server is bound: the heartbeat carries its address). */
  start(): void {
    const { config, host } = this;
    this.announcer ??= new WorkerAnnouncer(this.nc, {
      workerId: config.workerId,
      kind: WorkerKind.WORKER_KIND_SLM,
      model: config.model,
      address: host.address,
      maxSequences: config.maxSequences,
      activeSequences: () => host.activeSequences,
      intervalMs: config.heartbeatIntervalMs,
    });
    this.announcer.start();
  }

  leave(): Promise<void> {
    return this.announcer?.stop() ?? Promise.resolve();
  }
}
