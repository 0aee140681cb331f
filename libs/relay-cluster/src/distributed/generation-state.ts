import { FailedPreconditionReason, RelayError } from '@relayllm/relay-core';
import { SystemClock, type Clock } from '@relayllm/relay-core';
import { storeKey, type KeyValueStore } from '../ports/key-value-store';
import type { CompletedEvent } from '@relayllm/relay-core';
import type { RelayRequest } from '@relayllm/relay-core';
import type { RelaySource } from '@relayllm/relay-core';
import { sha256Hex, type Hasher } from './hashing';
import type { RecordedStream } from './stream-recorder';

/** One answer segment as saved: [source, text, tokenCount]. */
export type SavedSegment = [RelaySource, string, number];

/**
 * What `relay:state:<requestId>` holds (JSON). Written when a generation
 * starts, at every handoff (relayStarted / relayFinished) and lease renewal,
 * and when it completes; deleted when it fails or is cancelled (a retry may
 * run again).
 */
export type GenerationStateRecord =
  | {
      v: 1;
      status: 'running';
      /** The replica running it. */
      owner: string;
      /** Hash of the request: a retry must ask for the same generation. */
      fingerprint: string;
      updatedAtMs: number;
      /** The owner is presumed dead after this (it renews the lease while it runs). */
      leaseUntilMs: number;
      /** LLM calls finished so far. */
      turn: number;
      /** Answer so far, in segments. */
      transcript: SavedSegment[];
      responseTokens: number;
      /** Every engine stream consumed so far: what a resuming replica replays. */
      streams: RecordedStream[];
    }
  | {
      v: 1;
      status: 'completed';
      owner: string;
      fingerprint: string;
      updatedAtMs: number;
      transcript: SavedSegment[];
      completed: Omit<CompletedEvent, 'type'>;
    };

type RunningRecord = Extract<GenerationStateRecord, { status: 'running' }>;
type CompletedRecord = Extract<GenerationStateRecord, { status: 'completed' }>;

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
  | { kind: 'run' }
  | { kind: 'resume'; record: RunningRecord }
  | { kind: 'done'; record: CompletedRecord };

/** Hash of everything that defines a generation's output. */
export function requestFingerprint(request: RelayRequest, hasher: Hasher = sha256Hex): string {
  return hasher(
    JSON.stringify([
      request.prompt,
      request.policy ?? null,
      request.maxTokens,
      request.maxTurns ?? null,
      request.maxLlmTokensPerCall ?? null,
      request.maxLlmTokensTotal ?? null,
      request.sampling ?? null,
      request.stop ?? null,
    ]),
  );
}

function parse(value: string | undefined): GenerationStateRecord | undefined {
  if (value === undefined) return undefined;
  try {
    const record = JSON.parse(value) as GenerationStateRecord;
    if (record.v !== 1) return undefined;
    if (record.status === 'running') return Array.isArray(record.streams) && typeof record.leaseUntilMs === 'number' ? record : undefined;
    return record.status === 'completed' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** What a checkpoint saves. */
export interface GenerationProgress {
  turn: number;
  transcript: SavedSegment[];
  streams: RecordedStream[];
}

/**
 * A checkpoint's progress with its two growing arrays already serialized
 * (ProgressLog serializes each segment and stream once, when it is added):
 * re-serializing the whole stream log at every handoff was the largest
 * single cost of the orchestrator's hot path.
 */
export interface SerializedProgress {
  turn: number;
  responseTokens: number;
  /** JSON array of SavedSegment. */
  transcriptJson: string;
  /** JSON array of RecordedStream. */
  streamsJson: string;
}

/**
 * Generation state and request_id idempotency on a shared KeyValueStore.
 * - A request whose request_id completed before (same request) gets the
 *   stored result (`done`) instead of running twice.
 * - One running on a replica that holds its lease → failed_precondition
 *   REQUEST_ID_IN_USE (the embedded app's answer too).
 * - One whose owner's lease lapsed (the replica died) → `resume`: this
 *   replica takes it over and replays the saved streams.
 * - Another request on a used request_id → failed_precondition REQUEST_ID_IN_USE.
 * Creation is atomic across replicas (setIfAbsent: Redis SET NX); a takeover is not (two replicas retrying the same dead
 * generation at the same instant may both resume it; both give the same
 * answer at temperature 0). A store that is down (bypassed) gives no
 * idempotency: every request runs.
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

  key(requestId: string): string {
    return storeKey('state', requestId);
  }

  fingerprint(request: RelayRequest): string {
    return requestFingerprint(request, this.hasher);
  }

  async read(requestId: string): Promise<GenerationStateRecord | undefined> {
    return parse(await this.options.store.get(this.key(requestId)));
  }

  async begin(request: RelayRequest): Promise<BeginOutcome> {
    const { store, runningTtlMs } = this.options;
    const fingerprint = this.fingerprint(request);
    const key = this.key(request.generationId);
    const fresh = this.encodeRunning(fingerprint, { turn: 0, responseTokens: 0, transcriptJson: '[]', streamsJson: '[]' });
    if (await store.setIfAbsent(key, fresh, runningTtlMs)) return { kind: 'run' };
    const raw = await store.get(key);
    // Expired between the two calls: one more atomic try, so two replicas still cannot both run it.
    if (raw === undefined) {
      if (await store.setIfAbsent(key, fresh, runningTtlMs)) return { kind: 'run' };
      throw RelayError.failedPrecondition(FailedPreconditionReason.REQUEST_ID_IN_USE, `request_id ${request.generationId} was just taken`, { field: 'generationId' });
    }
    const existing = parse(raw);
    // A record this version cannot read (corrupt, or an older layout) holds nothing to honour.
    if (existing === undefined) {
      await store.set(key, fresh, runningTtlMs);
      return { kind: 'run' };
    }
    const inUse = (why: string): RelayError =>
      RelayError.failedPrecondition(FailedPreconditionReason.REQUEST_ID_IN_USE, why, { field: 'generationId' });
    if (existing.fingerprint !== fingerprint) throw inUse(`request_id ${request.generationId} was used by another request`);
    if (existing.status === 'completed') return { kind: 'done', record: existing };
    if (existing.leaseUntilMs > this.clock.now()) throw inUse(`a generation with request_id ${request.generationId} is still running`);
    const progress = { turn: existing.turn, responseTokens: existing.responseTokens, transcriptJson: JSON.stringify(existing.transcript), streamsJson: JSON.stringify(existing.streams) };
    await store.set(key, this.encodeRunning(fingerprint, progress), runningTtlMs);
    return { kind: 'resume', record: existing };
  }

  /** Saves progress and renews this replica's lease. */
  async checkpoint(requestId: string, fingerprint: string, progress: SerializedProgress): Promise<void> {
    await this.options.store.set(this.key(requestId), this.encodeRunning(fingerprint, progress), this.options.runningTtlMs);
  }

  async complete(requestId: string, fingerprint: string, transcript: SavedSegment[], completed: CompletedEvent): Promise<void> {
    const record: CompletedRecord = {
      v: 1,
      status: 'completed',
      owner: this.options.owner,
      fingerprint,
      updatedAtMs: this.clock.now(),
      transcript,
      completed: { finishReason: completed.finishReason, usage: completed.usage, text: completed.text },
    };
    await this.options.store.set(this.key(requestId), JSON.stringify(record), this.completedTtlMs);
  }

  /** The generation failed or was cancelled: free its request_id. */
  async abandon(requestId: string): Promise<void> {
    await this.options.store.delete(this.key(requestId));
  }

  /** A running record's JSON: the header serialized here, the arrays as given (already JSON). */
  private encodeRunning(fingerprint: string, progress: SerializedProgress): string {
    const now = this.clock.now();
    const header: Omit<RunningRecord, 'transcript' | 'streams'> = {
      v: 1,
      status: 'running',
      owner: this.options.owner,
      fingerprint,
      updatedAtMs: now,
      leaseUntilMs: now + this.options.leaseMs,
      turn: progress.turn,
      responseTokens: progress.responseTokens,
    };
    const json = JSON.stringify(header);
    return `${json.slice(0, -1)},"transcript":${progress.transcriptJson},"streams":${progress.streamsJson}}`;
  }

}
