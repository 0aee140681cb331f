import { WorkerKind, type WorkerHeartbeat } from '@relayllm/proto';
import type { Clock } from '@relayllm/relay-core';

/** A worker known to be alive, from its last heartbeat. */
export interface LiveWorker {
  workerId: string;
  kind: WorkerKind;
  model: string;
  /** gRPC host:port (SLM workers); '' for LLM workers. */
  address: string;
  maxSequences: number;
  activeSequences: number;
  intervalMs: number;
  /** sha256 of its model's description (fetched on the describe subject); '' = not described. */
  descriptionHash: string;
  /** Receiver's clock when the last heartbeat arrived. */
  lastSeenMs: number;
}

export type WorkerChange = { type: 'joined' | 'updated' | 'left' | 'expired'; worker: LiveWorker };

/** A worker is dead after this many missed heartbeat intervals. */
export const MISSED_HEARTBEATS_BEFORE_EXPIRY = 3;
const MIN_INTERVAL_MS = 10;
const MAX_INTERVAL_MS = 60_000;

/** true when the worker is at capacity per its last heartbeat. */
export function isWorkerFull(worker: Pick<LiveWorker, 'activeSequences' | 'maxSequences'>): boolean {
  return worker.maxSequences > 0 && worker.activeSequences >= worker.maxSequences;
}

/**
 * Pure bookkeeping of live workers (no timers, no NATS): heartbeats in,
 * changes out, expiry by an injected Clock. Bounded: at most `maxWorkers`
 * entries; heartbeats of new workers beyond that are ignored (known ones keep
 * being refreshed), so a flood of fake ids cannot grow memory.
 *
 * Silence is judged only while this process can hear the workers: while its
 * own connection is down (`pauseExpiry`) nobody expires, and once it is back
 * (`resumeExpiry`) each worker's silence counts from then.
 */
/**
 * After this process's link comes back, nobody expires for this long: the
 * workers reconnect on their own schedule (the client's reconnect wait
 * 250 ms + jitter, retried while the server restarts) and only then announce,
 * which can take longer than a short heartbeat's expiry window.
 */
export const RECONNECT_SETTLE_MS = 2_000;

export class WorkerTable {
  private readonly workers = new Map<string, LiveWorker>();
  private expiryPaused = false;
  /** No expiry before this (Unix ms): the reconnect settle. */
  private settleUntilMs = 0;

  constructor(
    private readonly clock: Clock,
    private readonly maxWorkers = 1_024,
  ) {}

  /** Applies one heartbeat; returns the change it makes (undefined: ignored). */
  observe(hb: WorkerHeartbeat): WorkerChange | undefined {
    if (hb.workerId === '' || hb.kind === WorkerKind.WORKER_KIND_UNSPECIFIED) return undefined;
    const known = this.workers.get(hb.workerId);
    if (hb.leaving) {
      if (known === undefined) return undefined;
      this.workers.delete(hb.workerId);
      return { type: 'left', worker: known };
    }
    if (known === undefined && this.workers.size >= this.maxWorkers) return undefined;
    const worker: LiveWorker = {
      workerId: hb.workerId,
      kind: hb.kind,
      model: hb.model,
      address: hb.address,
      maxSequences: hb.maxSequences,
      activeSequences: hb.activeSequences,
      intervalMs: Math.min(MAX_INTERVAL_MS, Math.max(MIN_INTERVAL_MS, hb.intervalMs || 1_000)),
      descriptionHash: hb.descriptionHash,
      lastSeenMs: this.clock.now(),
    };
    this.workers.set(worker.workerId, worker);
    return { type: known === undefined ? 'joined' : 'updated', worker };
  }

  /** Removes workers silent for more than MISSED_HEARTBEATS_BEFORE_EXPIRY intervals (none while expiry is paused). */
  sweep(): WorkerChange[] {
    const expired = this.silent().map((worker): WorkerChange => ({ type: 'expired', worker }));
    for (const { worker } of expired) this.workers.delete(worker.workerId);
    return expired;
  }

  /** Workers the next sweep would expire (none while expiry is paused). */
  silent(): LiveWorker[] {
    const now = this.clock.now();
    if (this.expiryPaused || now < this.settleUntilMs) return [];
    return [...this.workers.values()].filter((w) => now - w.lastSeenMs > MISSED_HEARTBEATS_BEFORE_EXPIRY * w.intervalMs);
  }

  /** This process cannot hear heartbeats (its connection is down): their absence says nothing about the workers. */
  pauseExpiry(): void {
    this.expiryPaused = true;
  }

  /**
   * Heartbeats can be heard again: each known worker's silence counts from
   * now, so it has its whole expiry window to be heard, and nobody expires
   * within RECONNECT_SETTLE_MS (workers reconnect and announce on their own
   * schedule).
   */
  resumeExpiry(): void {
    const wasPaused = this.expiryPaused;
    this.expiryPaused = false;
    if (!wasPaused) return;
    const now = this.clock.now();
    this.settleUntilMs = now + RECONNECT_SETTLE_MS;
    for (const worker of this.workers.values()) worker.lastSeenMs = Math.max(worker.lastSeenMs, now);
  }

  get expiryIsPaused(): boolean {
    return this.expiryPaused;
  }

  get(workerId: string): LiveWorker | undefined {
    return this.workers.get(workerId);
  }

  /** Live workers of one kind and model, by worker id. */
  live(kind: WorkerKind, model: string): LiveWorker[] {
    return [...this.workers.values()].filter((w) => w.kind === kind && w.model === model).sort((a, b) => (a.workerId < b.workerId ? -1 : 1));
  }

  get size(): number {
    return this.workers.size;
  }

  clear(): void {
    this.workers.clear();
  }
}
