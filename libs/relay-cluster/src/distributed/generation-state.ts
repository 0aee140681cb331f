import { FailedPreconditionReason, RelayError, SystemClock, type Clock, type RelayRequest } from '@relayllm/relay-core';
import { storeKey, type KeyValueStore } from '../ports/key-value-store';
import {
  encodeRunning,
  NO_PROGRESS,
  parseGenerationState,
  progressOf,
  requestFingerprint,
  type CompletedRecord,
  type GenerationStateRecord,
  type RunningRecord,
  type SerializedProgress,
} from './generation-state-record';
import { sha256Hex, type Hasher } from './hashing';
import { OwnedGeneration } from './owned-generation';

export interface GenerationStateStoreOptions {
  store: KeyValueStore;
  /** This replica's id (written as the owner). */
  owner: string;
  clock?: Clock;
  /**
   * The owner's lease on a running generation, renewed at every checkpoint
   * and by the host's lease ticker (withGenerationState's `leaseTicker`).
   * Once it lapses, a retry of the same request on any replica takes the
   * generation over and resumes it from the saved streams.
   */
  leaseMs: number;
  /** TTL of a running record in the store (> the request timeout; renewed with the lease). */
  runningTtlMs: number;
  /** How long a completed result is kept for retries (default 10 min). */
  completedTtlMs?: number;
  hasher?: Hasher;
}

export type BeginOutcome =
  | { kind: 'run'; run: OwnedGeneration }
  | { kind: 'resume'; run: OwnedGeneration; record: RunningRecord }
  | { kind: 'done'; record: CompletedRecord };

/** Runs started in this process: with the owner (unique per replica) it makes every run's fence unique. */
let runsStarted = 0;

/**
 * Generation state and request_id idempotency on a shared KeyValueStore,
 * keyed by the generation id the front door gives (the caller's request_id
 * inside its tenant, see tenantGenerationId).
 * - A request whose request_id completed before (same request) gets the
 *   stored result (`done`) instead of running twice.
 * - One running on a replica that holds its lease → failed_precondition
 *   REQUEST_ID_IN_USE (the embedded app's answer too).
 * - One whose owner's lease lapsed (the replica died) → `resume`: this
 *   replica takes it over and replays the saved streams.
 * - Another request on a used request_id → failed_precondition REQUEST_ID_IN_USE.
 * One owner per generation: creation is atomic (setIfAbsent: Redis SET NX),
 * and so is a takeover (compareAndSet against the record that was read: of
 * two replicas retrying the same dead generation at once, one resumes it and
 * the other gets REQUEST_ID_IN_USE). Every later write is fenced by the run
 * (OwnedGeneration). A store that is down (bypassed) gives no idempotency:
 * every request runs.
 */
export class GenerationStateStore {
  private readonly clock: Clock;
  private readonly hasher: Hasher;
  private readonly completedTtlMs: number;

  constructor(private readonly options: GenerationStateStoreOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.hasher = options.hasher ?? sha256Hex;
    this.completedTtlMs = options.completedTtlMs ?? 600_000;
  }

  key(generationId: string): string {
    return storeKey('state', generationId);
  }

  fingerprint(request: RelayRequest): string {
    return requestFingerprint(request, this.hasher);
  }

  async read(generationId: string): Promise<GenerationStateRecord | undefined> {
    return parseGenerationState(await this.options.store.get(this.key(generationId)));
  }

  async begin(request: RelayRequest): Promise<BeginOutcome> {
    const { store, runningTtlMs } = this.options;
    const key = this.key(request.generationId);
    const claim = this.claim(key, this.fingerprint(request));
    const fresh = claim.encode(NO_PROGRESS);
    if (await store.setIfAbsent(key, fresh, runningTtlMs)) return { kind: 'run', run: claim.own(fresh) };
    const raw = await store.get(key);
    // Expired between the two calls: one more atomic try, so two replicas still cannot both run it.
    if (raw === undefined) {
      if (await store.setIfAbsent(key, fresh, runningTtlMs)) return { kind: 'run', run: claim.own(fresh) };
      throw inUse('this request_id was just taken');
    }
    const existing = parseGenerationState(raw);
    // A record this version cannot read (corrupt, or an older layout) holds nothing to honour; replaced only as it was read.
    if (existing === undefined) {
      if (await store.compareAndSet(key, raw, fresh, runningTtlMs)) return { kind: 'run', run: claim.own(fresh) };
      throw inUse('this request_id was just taken');
    }
    if (existing.fingerprint !== claim.fingerprint) throw inUse('this request_id was used by another request');
    if (existing.status === 'completed') return { kind: 'done', record: existing };
    if (existing.leaseUntilMs > this.clock.now()) throw inUse('a generation with this request_id is still running');
    const takeover = claim.encode(progressOf(existing));
    // The record as it was read, or nothing: of replicas racing to take it over, one wins.
    if (!(await store.compareAndSet(key, raw, takeover, runningTtlMs))) throw inUse('a generation with this request_id was just taken over by another replica');
    return { kind: 'resume', run: claim.own(takeover), record: existing };
  }

  /** A new run of the generation at `key`: its fence, its record's encoding, and the handle that owns it once stored. */
  private claim(key: string, fingerprint: string): { fingerprint: string; encode(progress: SerializedProgress): string; own(written: string): OwnedGeneration } {
    const { store, owner, leaseMs, runningTtlMs } = this.options;
    runsStarted += 1;
    const run = `${owner}#${runsStarted}`;
    const clock = this.clock;
    return {
      fingerprint,
      encode: (progress) => encodeRunning({ owner, run, fingerprint, nowMs: clock.now() }, leaseMs, progress),
      own: (written) => new OwnedGeneration({ store, key, owner, run, fingerprint, clock, leaseMs, runningTtlMs, completedTtlMs: this.completedTtlMs, written }),
    };
  }
}

function inUse(why: string): RelayError {
  return RelayError.failedPrecondition(FailedPreconditionReason.REQUEST_ID_IN_USE, why, { field: 'generationId' });
}
