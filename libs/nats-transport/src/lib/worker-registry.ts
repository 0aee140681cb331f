import { valueWithin } from '@relayllm/bounded-waits';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { WorkerHeartbeat, type WorkerKind } from '@relayllm/proto';
import { SystemClock, type Clock } from '@relayllm/relay-core';
import { brokerLinkOf } from './broker-link';
import { decodeProto } from './codec';
import { WORKER_HEARTBEAT_SUBJECT } from './subjects';
import { WorkerTable, type LiveWorker, type WorkerChange } from './worker-table';

export interface WorkerRegistryOptions {
  clock?: Clock;
  /** How often silent workers are swept out. Default 250 ms. */
  sweepIntervalMs?: number;
  /** Bound on known workers. Default 1024. */
  maxWorkers?: number;
  /** Before expiring silent workers, the NATS server must answer a ping within this (else the silence is ours). Default 1 s. */
  probeTimeoutMs?: number;
}

export type WorkerChangeListener = (change: WorkerChange) => void;

/**
 * Live workers of the deployment, from their heartbeats on
 * `relayllm.workers.heartbeat`: joined on the first heartbeat, gone after 3
 * missed intervals (swept by a timer, judged by the injected Clock) or at once
 * on a `leaving` heartbeat. Malformed heartbeats are ignored.
 *
 * Silence is a worker's only when this process can hear: while its NATS
 * connection is disconnected nobody expires (the workers' gRPC streams still
 * work), and after the reconnect each worker's silence counts from then.
 * Before expiring anyone the registry pings the NATS server; no answer (a
 * frozen server, a stale connection not yet noticed) also means the silence
 * is ours, until a ping is answered again.
 */
export class WorkerRegistry {
  private readonly table: WorkerTable;
  private readonly listeners = new Set<WorkerChangeListener>();
  private subscription: Subscription | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopFollowing: (() => void) | undefined;
  private disconnected = false;
  private probing = false;

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
    this.followConnection();
  }

  /** Whether heartbeats can be heard now (connected, and the server answered the last ping). */
  get hearing(): boolean {
    return !this.disconnected && !this.table.expiryIsPaused;
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

  /** Expires silent workers once the NATS server answered a ping (the timer calls it). */
  sweep(): void {
    if (this.disconnected || this.probing) return;
    if (!this.table.expiryIsPaused && this.table.silent().length === 0) return;
    this.probing = true;
    void this.serverAnswers().then((answers) => {
      this.probing = false;
      if (this.disconnected) return;
      if (!answers) return this.table.pauseExpiry();
      this.table.resumeExpiry();
      for (const change of this.table.sweep()) this.emit(change);
    });
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
    this.stopFollowing?.();
    this.stopFollowing = undefined;
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.listeners.clear();
  }

  /** Pauses expiry while the connection is down; resumes it (silence counted from now) on reconnect. */
  private followConnection(): void {
    const link = brokerLinkOf(this.nc);
    this.stopFollowing = link.onEvent((event) => {
      if (event.type === 'disconnect') {
        this.disconnected = true;
        this.table.pauseExpiry();
      } else if (event.type === 'reconnect') {
        this.disconnected = false;
        this.table.resumeExpiry();
      }
    });
    if (!link.view().connected) {
      this.disconnected = true;
      this.table.pauseExpiry();
    }
  }

  /** Whether the NATS server answers a ping within the probe timeout. */
  private async serverAnswers(): Promise<boolean> {
    return (await valueWithin(brokerLinkOf(this.nc).probe(), this.options.probeTimeoutMs ?? 1_000)) !== undefined;
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
