import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/nats-core';
import { WorkerAnnouncer } from '@relayllm/nats-transport';
import { WorkerKind } from '@relayllm/proto';
import type { LlmWorkerConfig } from './config';
import { LlmWorkerService } from './llm-worker.service';
import { LLM_WORKER_CONFIG, NATS_CONNECTION } from './tokens';

/** This worker's heartbeats: started once it listens, `leaving` sent at shutdown. */
@Injectable()
export class WorkerPresence {
  readonly announcer: WorkerAnnouncer;

  constructor(
    @Inject(NATS_CONNECTION) nc: NatsConnection,
    @Inject(LLM_WORKER_CONFIG) config: LlmWorkerConfig,
    @Inject(LlmWorkerService) service: LlmWorkerService,
  ) {
    this.announcer = new WorkerAnnouncer(nc, {
      workerId: config.workerId,
      kind: WorkerKind.WORKER_KIND_LLM,
      model: config.model,
      maxSequences: config.maxSequences,
      activeSequences: () => service.activeSequences,
      intervalMs: config.heartbeatIntervalMs,
    });
    service.setCapacityListener(() => this.announce());
  }

  start(): void {
    this.announcer.start();
  }

  /** Heartbeat now (the load crossed the full line). */
  announce(): void {
    this.announcer.announce();
  }

  leave(): Promise<void> {
    return this.announcer.stop();
  }
}
