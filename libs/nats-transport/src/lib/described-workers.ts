import type { NatsConnection } from '@nats-io/nats-core';
import { DescribeModelReply, type WorkerKind } from '@relayllm/proto';
import { InvalidArgumentReason, RelayError, type ModelDescription } from '@relayllm/relay-core';
import { fromWorkerError, modelDescriptionFromWire } from '@relayllm/worker-protocol';
import { decodeProto } from './codec';
import { MAX_DESCRIPTIONS_PER_POOL, PoolDescriptionTable, poolName, type DescriptionVerdict, type ModelPool } from './pool-descriptions';
import { modelDescribeSubject } from './subjects';
import type { WorkerChangeListener, WorkerRegistry } from './worker-registry';
import type { LiveWorker, WorkerChange } from './worker-table';

export interface DescribedWorkersOptions {
  nc: NatsConnection;
  /** Live workers from their heartbeats (started by the host). */
  registry: Pick<WorkerRegistry, 'live' | 'onChange'>;
  /** The pools whose models are wanted (the orchestrator's SLM and LLM pools). */
  pools: readonly ModelPool[];
  /** How long one describe request waits for its reply (default 2 s); a failed one is asked again at a later heartbeat. */
  requestTimeoutMs?: number;
  log?: (line: string) => void;
}

const DEFAULT_DESCRIBE_TIMEOUT_MS = 2_000;

/**
 * The workers of some pools, as far as their models are known: every
 * description hash a heartbeat announces is fetched once (the describe
 * subject), the first of a pool becomes its model, later ones must agree with
 * it (PoolDescriptionTable). `live()` lists only workers whose model agrees,
 * so a worker that does not (or announces no description) is never chosen;
 * each one is logged once. Satisfies the pools' LiveWorkerSource.
 */
export class DescribedWorkers {
  private readonly table = new PoolDescriptionTable();
  private readonly listeners = new Set<WorkerChangeListener>();
  private readonly waiting = new Set<() => void>();
  /** Workers already reported as not used (each is logged once). */
  private readonly reported = new Set<string>();
  /** Description hashes whose fetch failed and was logged (logged again only after a success). */
  private readonly failing = new Set<string>();
  private unsubscribe: (() => void) | undefined;
  private closed = false;

  constructor(private readonly options: DescribedWorkersOptions) {}

  /** Follows the registry (and describes the workers it already knows). Idempotent. */
  start(): void {
    if (this.unsubscribe !== undefined || this.closed) return;
    this.unsubscribe = this.options.registry.onChange((change) => this.observe(change));
    for (const pool of this.options.pools) {
      for (const worker of this.options.registry.live(pool.kind, pool.model)) this.observe({ type: 'joined', worker });
    }
  }

  /** Live workers of a pool whose model agrees with the pool's. */
  live(kind: WorkerKind, model: string): LiveWorker[] {
    const pool = { kind, model };
    return this.options.registry.live(kind, model).filter((w) => this.table.usable(pool, w.descriptionHash));
  }

  /** Every live worker of the pool is usable (none refused, none still being described). */
  allLiveUsable(kind: WorkerKind, model: string): boolean {
    return this.live(kind, model).length === this.options.registry.live(kind, model).length;
  }

  /** The pool's model, once described. */
  description(pool: ModelPool): ModelDescription | undefined {
    return this.table.accepted(pool);
  }

  /** Resolves once every pool of `pools` has a model (never rejects: callers bound their own wait). */
  async described(pools: readonly ModelPool[] = this.options.pools): Promise<ModelDescription[]> {
    const known = (): ModelDescription[] | undefined => {
      const found = pools.map((pool) => this.table.accepted(pool));
      return found.every((d): d is ModelDescription => d !== undefined) ? found : undefined;
    };
    for (;;) {
      const descriptions = known();
      if (descriptions !== undefined) return descriptions;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiting.delete(wake);
          resolve();
        };
        this.waiting.add(wake);
      });
    }
  }

  /** Told of every registry change, and when a worker's description made it usable. */
  onChange(listener: WorkerChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.listeners.clear();
  }

  private observe(change: WorkerChange): void {
    const worker = change.worker;
    const pool = this.options.pools.find((p) => p.kind === worker.kind && p.model === worker.model);
    if (change.type === 'left' || change.type === 'expired') this.reported.delete(worker.workerId);
    else if (pool !== undefined) {
      if (this.table.claimFetch(pool, worker.descriptionHash)) void this.fetch(pool, worker);
      else this.reportUnused(pool, worker);
    }
    this.emit(change);
  }

  private async fetch(pool: ModelPool, worker: LiveWorker): Promise<void> {
    const hash = worker.descriptionHash;
    let description: ModelDescription;
    try {
      description = await this.request(pool, worker);
    } catch (error) {
      if (!this.closed) this.fetchFailed(pool, worker, error);
      return;
    }
    this.failing.delete(hash);
    if (!this.closed) this.settle(pool, worker, this.table.described(pool, hash, description));
  }

  /** A malformed description refuses its workers; any other failure is asked again at a later heartbeat. */
  private fetchFailed(pool: ModelPool, worker: LiveWorker, error: unknown): void {
    const hash = worker.descriptionHash;
    const detail = error instanceof Error ? error.message : String(error);
    if (error instanceof RelayError && error.reason === InvalidArgumentReason.MODEL_DESCRIPTION_INVALID) {
      this.settle(pool, worker, this.table.refuse(pool, hash, detail));
      return;
    }
    this.table.fetchFailed(pool, hash);
    // Asked again at every heartbeat: logged once until it succeeds.
    if (!this.failing.has(hash)) this.log(`${poolName(pool)}: describing worker ${worker.workerId} failed (asked again at its next heartbeat): ${detail}`);
    if (this.failing.size < MAX_DESCRIPTIONS_PER_POOL) this.failing.add(hash);
  }

  /** One describe request; the reply must be the description of `hash` (else MODEL_DESCRIPTION_INVALID). */
  private async request(pool: ModelPool, worker: LiveWorker): Promise<ModelDescription> {
    const hash = worker.descriptionHash;
    const msg = await this.options.nc.request(modelDescribeSubject(pool.kind, pool.model, hash), new Uint8Array(), {
      timeout: this.options.requestTimeoutMs ?? DEFAULT_DESCRIBE_TIMEOUT_MS,
    });
    const reply = decodeProto(DescribeModelReply, msg.data, 'DescribeModelReply');
    if (reply.error !== undefined) throw fromWorkerError(reply.error);
    const origin = `worker ${reply.workerId || worker.workerId}`;
    // The hash is compared as announced, not recomputed: a newer worker's fields unknown here must not refuse it.
    if (reply.description === undefined || reply.descriptionHash !== hash) {
      throw RelayError.invalidArgument(InvalidArgumentReason.MODEL_DESCRIPTION_INVALID, `model description from ${origin}: not the description of ${hash}`, 'model');
    }
    return modelDescriptionFromWire(reply.description, origin);
  }

  private settle(pool: ModelPool, worker: LiveWorker, verdict: DescriptionVerdict): void {
    if (verdict.kind === 'accepted') {
      const { profile } = this.table.accepted(pool) as ModelDescription;
      this.log(
        `${poolName(pool)} serves ${profile.name} (${profile.commandSyntax.kind} commands, context ${profile.contextLength}, vocabulary ${profile.vocabularyId}), as worker ${worker.workerId} describes it`,
      );
    }
    for (const live of this.options.registry.live(pool.kind, pool.model)) {
      if (live.descriptionHash === worker.descriptionHash) this.reportUnused(pool, live);
    }
    for (const wake of [...this.waiting]) wake();
    // Usable workers add capacity: tell the listeners as for a load change.
    this.emit({ type: 'updated', worker });
  }

  /** Logs once per worker that it is not used, and why. */
  private reportUnused(pool: ModelPool, worker: LiveWorker): void {
    const reason =
      worker.descriptionHash === '' ? 'it announces no model description (an older worker?)' : this.table.refusal(pool, worker.descriptionHash);
    if (reason === undefined || this.reported.has(worker.workerId)) return;
    this.reported.add(worker.workerId);
    this.log(`${poolName(pool)}: worker ${worker.workerId} is not used: ${reason}`);
  }

  private emit(change: WorkerChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A faulty listener must not stop the others.
      }
    }
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
