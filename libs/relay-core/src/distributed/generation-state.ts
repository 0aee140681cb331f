import { RelayError, RelayErrorReasons } from '../errors/relay-error';
import { SystemClock, type Clock } from '../ports/clock';
import { prefixStoreKey, type PrefixStore } from '../ports/prefix-store';
import type { CompletedEvent, RelayStreamEvent } from '../relay/relay-events';
import type { RelayRequest } from '../relay/relay-request';
import type { RelaySource } from '../relay/relay-types';
import { sha256Hex, type Hasher } from './hashing';

/** One answer segment as saved: [source, text, tokenCount]. */
export type SavedSegment = [RelaySource, string, number];

/**
 * What `relay:state:<requestId>` holds (JSON). Written when a generation
 * starts, at every handoff (relayStarted / relayFinished), and when it
 * completes; deleted when it fails or is cancelled (a retry may run again).
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
      /** LLM calls finished so far. */
      turn: number;
      /** Answer so far, in segments. */
      transcript: SavedSegment[];
      responseTokens: number;
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

export interface GenerationStateStoreOptions {
  store: PrefixStore;
  /** This replica's id (diagnostics: who runs / ran a generation). */
  owner: string;
  clock?: Clock;
  /**
   * TTL of a running record (its lease), renewed at every checkpoint and by
   * the host's lease ticker (withGenerationState's `leaseTicker`). A replica
   * that dies leaves its request_id blocked for at most this long. Without a
   * ticker, make it longer than the request timeout.
   */
  runningTtlMs: number;
  /** How long a completed result is kept for retries (default 10 min). */
  completedTtlMs?: number;
  hasher?: Hasher;
}

export type BeginOutcome = { kind: 'run' } | { kind: 'done'; record: Extract<GenerationStateRecord, { status: 'completed' }> };

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
    return record.v === 1 && (record.status === 'running' || record.status === 'completed') ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Generation state and request_id idempotency on a shared PrefixStore.
 * - A request whose request_id completed before (same request) gets the
 *   stored result (`done`) instead of running twice.
 * - One still running anywhere → failed_precondition REQUEST_ID_IN_USE (the
 *   embedded app's answer too): the caller retries after it finishes.
 * - Another request on a used request_id → failed_precondition REQUEST_ID_IN_USE.
 * Atomic across replicas when the store has setIfAbsent (Redis SET NX).
 * A store that is down (bypassed) gives no idempotency: every request runs.
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
    return prefixStoreKey('state', requestId);
  }

  async read(requestId: string): Promise<GenerationStateRecord | undefined> {
    return parse(await this.options.store.get(this.key(requestId)));
  }

  async begin(request: RelayRequest): Promise<BeginOutcome> {
    const { store, owner, runningTtlMs } = this.options;
    const fingerprint = requestFingerprint(request, this.hasher);
    const key = this.key(request.generationId);
    const running: GenerationStateRecord = {
      v: 1, status: 'running', owner, fingerprint, updatedAtMs: this.clock.now(), turn: 0, transcript: [], responseTokens: 0,
    };
    const value = JSON.stringify(running);
    if (store.setIfAbsent !== undefined) {
      if (await store.setIfAbsent(key, value, runningTtlMs)) return { kind: 'run' };
    }
    const existing = parse(await store.get(key));
    if (existing?.status === 'completed' && existing.fingerprint === fingerprint) return { kind: 'done', record: existing };
    if (existing !== undefined) {
      throw RelayError.failedPrecondition(
        RelayErrorReasons.REQUEST_ID_IN_USE,
        existing.status === 'running'
          ? `a generation with request_id ${request.generationId} is still running`
          : `request_id ${request.generationId} was used by another request`,
        { field: 'generationId' },
      );
    }
    await store.set(key, value, runningTtlMs);
    return { kind: 'run' };
  }

  async checkpoint(requestId: string, fingerprint: string, turn: number, transcript: SavedSegment[]): Promise<void> {
    const record: GenerationStateRecord = {
      v: 1, status: 'running', owner: this.options.owner, fingerprint, updatedAtMs: this.clock.now(), turn, transcript,
      responseTokens: transcript.reduce((sum, s) => sum + s[2], 0),
    };
    await this.options.store.set(this.key(requestId), JSON.stringify(record), this.options.runningTtlMs);
  }

  async complete(requestId: string, fingerprint: string, transcript: SavedSegment[], completed: CompletedEvent): Promise<void> {
    const result = { finishReason: completed.finishReason, usage: completed.usage, text: completed.text };
    const record: GenerationStateRecord = {
      v: 1, status: 'completed', owner: this.options.owner, fingerprint, updatedAtMs: this.clock.now(), transcript, completed: result,
    };
    await this.options.store.set(this.key(requestId), JSON.stringify(record), this.completedTtlMs);
  }

  /** The generation failed or was cancelled: free its request_id. */
  async abandon(requestId: string): Promise<void> {
    await this.options.store.delete(this.key(requestId));
  }

  fingerprint(request: RelayRequest): string {
    return requestFingerprint(request, this.hasher);
  }
}

/**
 * Runs `start()` (e.g. runRelay) under generation state: replays a completed
 * result for a retried request_id, checkpoints the transcript at every
 * handoff (writes coalesced, never awaited on the hot path), stores the
 * result when the generation completes (awaited, so the answer is saved
 * before the caller sees it) and frees the request_id on failure/cancel.
 */
export interface GenerationStateRunOptions {
  /**
   * Lease renewal while the generation runs: called once with `renew`, returns
   * the function that stops it. The host calls `renew` periodically (e.g.
   * every runningTtlMs / 3 from a timer; core has no timers), so the running
   * record outlives long stretches without a handoff but expires soon after
   * its replica dies.
   */
  leaseTicker?: (renew: () => void) => () => void;
}

export async function* withGenerationState(
  states: GenerationStateStore,
  request: RelayRequest,
  start: () => AsyncIterable<RelayStreamEvent>,
  options: GenerationStateRunOptions = {},
): AsyncGenerator<RelayStreamEvent, void, undefined> {
  const outcome = await states.begin(request);
  if (outcome.kind === 'done') {
    for (const [source, text, tokenCount] of outcome.record.transcript) yield { type: 'text', source, text, tokenCount };
    yield { type: 'completed', ...outcome.record.completed };
    return;
  }
  const id = request.generationId;
  const fingerprint = states.fingerprint(request);
  const transcript: SavedSegment[] = [];
  const writer = new CoalescingWriter();
  let turn = 0;
  let finished = false;
  let stored = false;
  const checkpoint = (): void => {
    const snapshot = transcript.slice();
    const at = turn;
    writer.write(() => states.checkpoint(id, fingerprint, at, snapshot));
  };
  const stopLease = options.leaseTicker?.(() => {
    if (!finished) checkpoint();
  });
  try {
    for await (const event of start()) {
      if (event.type === 'text') transcript.push([event.source, event.text, event.tokenCount]);
      if (event.type === 'relayStarted' || event.type === 'relayFinished') {
        if (event.type === 'relayFinished') turn += 1;
        checkpoint();
      }
      if (event.type === 'completed' && event.finishReason !== 'cancelled') {
        stopLease?.();
        finished = true;
        await writer.flush();
        await states.complete(id, fingerprint, transcript, event).catch(() => undefined);
        stored = true;
      }
      yield event;
    }
  } finally {
    stopLease?.();
    finished = true;
    if (!stored) {
      await writer.flush();
      await states.abandon(id).catch(() => undefined);
    }
  }
}

/** At most one write in flight and one waiting (the latest); older waiting writes are dropped. */
class CoalescingWriter {
  private inFlight: Promise<void> | undefined;
  private next: (() => Promise<void>) | undefined;

  write(run: () => Promise<void>): void {
    if (this.inFlight !== undefined) {
      this.next = run;
      return;
    }
    this.start(run);
  }

  async flush(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight;
  }

  private start(run: () => Promise<void>): void {
    this.inFlight = run()
      .catch(() => undefined)
      .then(() => {
        this.inFlight = undefined;
        const next = this.next;
        this.next = undefined;
        if (next !== undefined) this.start(next);
      });
  }
}
