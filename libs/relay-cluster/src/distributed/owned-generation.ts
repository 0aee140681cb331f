import type { Clock, CompletedEvent } from '@relayllm/relay-core';
import type { KeyValueStore } from '../ports/key-value-store';
import { encodeCompleted, encodeRunning, parseGenerationState, type RecordWriter, type SavedSegment, type SerializedProgress } from './generation-state-record';

export interface OwnedGenerationOptions {
  store: KeyValueStore;
  /** The generation's state key. */
  key: string;
  owner: string;
  /** This run's fence (GenerationStateRecord.run). */
  run: string;
  fingerprint: string;
  clock: Clock;
  leaseMs: number;
  runningTtlMs: number;
  completedTtlMs: number;
  /** The record exactly as begin() stored it. */
  written: string;
}

/**
 * One replica's run of a generation, from `GenerationStateStore.begin` on.
 * Every write of the record is fenced by the run: it is a compare-and-set
 * against the value this run last stored, so a replica whose generation was
 * taken over (its lease lapsed while it still ran) can neither overwrite nor
 * delete the new owner's record. When the value is not the expected one the
 * record is read once: still this run's (a write of ours that landed after
 * its timeout, or one the store skipped while it was bypassed) → written
 * over it; gone (the store lost it) → created again; another run's → this
 * run is superseded and writes nothing more.
 */
export class OwnedGeneration {
  private written: string;
  private isSuperseded = false;

  constructor(private readonly options: OwnedGenerationOptions) {
    this.written = options.written;
  }

  get fingerprint(): string {
    return this.options.fingerprint;
  }

  /** true once another run took the generation over: this run's writes are refused from then on. */
  get superseded(): boolean {
    return this.isSuperseded;
  }

  /** Saves progress and renews this run's lease; false when the write did not go through. */
  checkpoint(progress: SerializedProgress): Promise<boolean> {
    return this.replace(encodeRunning(this.writer(), this.options.leaseMs, progress), this.options.runningTtlMs);
  }

  /** Stores the result a retry replays; false when the write did not go through. */
  complete(transcript: SavedSegment[], completed: CompletedEvent): Promise<boolean> {
    return this.replace(encodeCompleted(this.writer(), transcript, completed), this.options.completedTtlMs);
  }

  /** The generation failed or was cancelled: frees its request_id, unless another run owns it now. */
  async abandon(): Promise<boolean> {
    if (this.superseded) return false;
    const { store, key } = this.options;
    if (await store.compareAndDelete(key, this.written)) return true;
    const current = await store.get(key);
    if (current === undefined) return true;
    if (!this.isThisRun(current)) return this.supersede();
    return store.compareAndDelete(key, current);
  }

  private async replace(next: string, ttlMs: number): Promise<boolean> {
    if (this.superseded) return false;
    const { store, key } = this.options;
    if (await store.compareAndSet(key, this.written, next, ttlMs)) return this.stored(next);
    const current = await store.get(key);
    if (current === undefined) return (await store.setIfAbsent(key, next, ttlMs)) && this.stored(next);
    if (!this.isThisRun(current)) return this.supersede();
    return (await store.compareAndSet(key, current, next, ttlMs)) && this.stored(next);
  }

  private stored(value: string): true {
    this.written = value;
    return true;
  }

  private supersede(): false {
    this.isSuperseded = true;
    return false;
  }

  private isThisRun(value: string): boolean {
    return parseGenerationState(value)?.run === this.options.run;
  }

  private writer(): RecordWriter {
    const { owner, run, fingerprint, clock } = this.options;
    return { owner, run, fingerprint, nowMs: clock.now() };
  }
}
