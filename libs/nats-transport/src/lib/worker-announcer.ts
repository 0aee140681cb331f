import { valueWithin } from '@relayllm/bounded-waits';
import type { NatsConnection } from '@nats-io/nats-core';
import { WorkerHeartbeat, type WorkerKind } from '@relayllm/proto';
import { SystemClock, type Clock } from '@relayllm/relay-core';
import { brokerLinkOf } from './broker-link';
import { encodeProto } from './codec';
import { WORKER_HEARTBEAT_SUBJECT } from './subjects';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;

export interface WorkerAnnouncerOptions {
  workerId: string;
  kind: WorkerKind;
  model: string;
  /** gRPC host:port for SLM workers, read at every heartbeat (known once the server is bound); unset for LLM workers. */
  address?: () => string;
  maxSequences: number;
  /** Sequences busy now; read at every heartbeat. */
  activeSequences: () => number;
  intervalMs?: number;
  /** sha256 of the encoded description of its model (worker-protocol's modelDescriptionHash); '' or unset: not described. */
  descriptionHash?: string;
  clock?: Clock;
}

/**
 * Publishes this worker's WorkerHeartbeat every interval (and at once on
 * start), and one with `leaving = true` on stop. A heartbeat due while
 * the NATS link is down is dropped by the client; one goes out the moment
 * the link is back, so registries re-learn the worker at once rather than a
 * tick later.
 */
export class WorkerAnnouncer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private stopWatchingLink: (() => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: WorkerAnnouncerOptions,
  ) {}

  get intervalMs(): number {
    return this.options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  }

  /** Starts heartbeating. Idempotent; no-op after stop. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.publish(false);
    this.timer = setInterval(() => this.publish(false), this.intervalMs);
    this.timer.unref();
    this.stopWatchingLink = brokerLinkOf(this.nc).onEvent((event) => {
      if (event.type === 'reconnect') this.announce();
    });
  }

  /** Publishes one heartbeat now (e.g. right after the load changed). */
  announce(): void {
    if (!this.stopped) this.publish(false);
  }

  /** Sends the `leaving` heartbeat and flushes it (bounded wait). Idempotent. */
  async stop(flushTimeoutMs = 1_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopWatchingLink?.();
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.nc.isClosed()) return;
    this.publish(true);
    await valueWithin(this.nc.flush(), flushTimeoutMs);
  }

  heartbeat(leaving: boolean): WorkerHeartbeat {
    const o = this.options;
    return WorkerHeartbeat.fromPartial({
      workerId: o.workerId,
      kind: o.kind,
      model: o.model,
      address: o.address?.() ?? '',
      maxSequences: o.maxSequences,
      activeSequences: Math.max(0, Math.min(o.maxSequences, o.activeSequences())),
      sentAtMs: (o.clock ?? new SystemClock()).now(),
      intervalMs: this.intervalMs,
      leaving,
      descriptionHash: o.descriptionHash ?? '',
    });
  }

  private publish(leaving: boolean): void {
    if (this.nc.isClosed()) return;
    try {
      this.nc.publish(WORKER_HEARTBEAT_SUBJECT, encodeProto(WorkerHeartbeat, this.heartbeat(leaving)));
    } catch {
      // Closed/draining between the check and the publish: nothing to announce to.
    }
  }
}
