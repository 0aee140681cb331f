import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { WorkerHeartbeat, type WorkerKind } from '@relayllm/proto';
import { SystemClock, type Clock } from '@relayllm/relay-core';
import { decodeProto } from './codec';
import { WORKER_HEARTBEAT_SUBJECT } from './subjects';
import { WorkerTable, type LiveWorker, type WorkerChange } from './worker-table';

export interface WorkerRegistryOptions {
  clock?: Clock;
  /** How often silent workers are swept out. Default 250 ms. */
  sweepIntervalMs?: number;
  /** Bound on known workers. Default 1024. */
  maxWorkers?: number;
}

export type WorkerChangeListener = (change: WorkerChange) => void;

/**
 * Live workers of the deployment, from their heartbeats on
 * `relayllm.workers.heartbeat`: joined on the first heartbeat, gone after 3
 * missed intervals (swept by a timer, judged by the injected Clock) or at once
 * on a `leaving` heartbeat. Malformed heartbeats are ignored.
 */
export class WorkerRegistry {
  private readonly table: WorkerTable;
  private readonly listeners = new Set<WorkerChangeListener>();
  private subscription: Subscription | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: WorkerRegistryOptions = {},
  ) {
    this.table = new WorkerTable(options.clock ?? new SystemClock(), options.maxWorkers);
  }

  /** Subscribes and starts sweeping. Idempotent. */
  start(): void {
    if (this.subscription !== undefined) return;
    this.subscription = this.nc.subscribe(WORKER_HEARTBEAT_SUBJECT, {
      callback: (error, msg) => {
        if (error !== null) return;
        this.handle(msg.data);
      },
    });
    this.sweepTimer = setInterval(() => this.sweep(), this.options.sweepIntervalMs ?? 250);
    this.sweepTimer.unref();
  }

  /** Applies a raw heartbeat payload (the subscription's path; public for specs and in-process use). */
  handle(data: Uint8Array): void {
    let hb: WorkerHeartbeat;
    try {
      hb = decodeProto(WorkerHeartbeat, data, 'WorkerHeartbeat');
    } catch {
      return;
    }
    const change = this.table.observe(hb);
    if (change !== undefined) this.emit(change);
  }

  /** Expires silent workers now (the timer calls it). */
  sweep(): void {
    for (const change of this.table.sweep()) this.emit(change);
  }

  live(kind: WorkerKind, model: string): LiveWorker[] {
    return this.table.live(kind, model);
  }

  get(workerId: string): LiveWorker | undefined {
    return this.table.get(workerId);
  }

  /** Calls `listener` on every change; returns the function that removes it. */
  onChange(listener: WorkerChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops sweeping and unsubscribes. Idempotent. */
  close(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.listeners.clear();
  }

  private emit(change: WorkerChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A faulty listener must not stop the others nor the subscription.
      }
    }
  }
}
