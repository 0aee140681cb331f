import { RelayError, UnavailableReason, type Engine, type RelayRequest, type RelayStreamEvent } from '@relayllm/relay-core';
import type { GenerationStateStore } from './generation-state';
import type { SavedSegment } from './generation-state-record';
import type { OwnedGeneration } from './owned-generation';
import { ProgressLog, type ProgressMark } from './progress-log';
import { RelayStreamRecorder } from './stream-recorder';

export interface GenerationStateRunOptions {
  /**
   * Lease renewal while the generation runs: called once with `renew`, returns
   * the function that stops it (called at least once; make it idempotent).
   * The host calls `renew` periodically (e.g. every leaseMs / 3 from a timer;
   * core has no timers).
   */
  leaseTicker?: (renew: () => void) => () => void;
  /** Told when this run takes over a generation whose owner's lease lapsed (logs, metrics). */
  onResume?: (info: { previousOwner: string; savedStreams: number; turn: number }) => void;
  /**
   * false: no progress is saved (no stream log, no checkpoint at handoffs),
   * only the running and completed records: idempotency without resumption,
   * for a single process that no other replica could take a generation from.
   * Default true.
   */
  checkpoints?: boolean;
}

/** The engines a generation runs on (runRelay's slm / llm). */
export interface GenerationEngines {
  slm: Engine;
  llm: Engine;
}

/**
 * Runs one generation under generation state: `run` gets the engines to use
 * (recording wrappers around `engines`) and returns runRelay's events.
 * - A retried request_id that completed: the stored result is replayed and
 *   nothing runs.
 * - One taken over from a dead replica: the saved streams are replayed into
 *   the session (no model is asked for them again), then the real engines
 *   continue; the caller sees the whole generation from its start.
 * - Progress (transcript, turn, streams) is checkpointed at every handoff and
 *   lease renewal (writes coalesced, never awaited on the hot path); the
 *   result is stored (awaited) before `completed` is passed on; failure or
 *   cancellation frees the request_id.
 * - One taken over by another replica while it still ran (its lease lapsed:
 *   a stall, a partition): it stops at its next event after a fenced write
 *   found the other run's record, with UNAVAILABLE GENERATION_TAKEN_OVER.
 */
export async function* withGenerationState(
  states: GenerationStateStore,
  request: RelayRequest,
  engines: GenerationEngines,
  run: (engines: GenerationEngines) => AsyncIterable<RelayStreamEvent>,
  options: GenerationStateRunOptions = {},
): AsyncGenerator<RelayStreamEvent, void, undefined> {
  const outcome = await states.begin(request);
  if (outcome.kind === 'done') {
    for (const [source, text, tokenCount] of outcome.record.transcript) yield { type: 'text', source, text, tokenCount };
    yield { type: 'completed', ...outcome.record.completed };
    return;
  }
  if (outcome.kind === 'resume') {
    const { owner, streams, turn } = outcome.record;
    options.onResume?.({ previousOwner: owner, savedStreams: streams.length, turn });
  }
  const checkpoints = options.checkpoints ?? true;
  const saved = outcome.kind === 'resume' ? outcome.record.streams : [];
  const recorder = new RelayStreamRecorder(engines.slm, engines.llm, saved, request.confidenceFloor !== undefined);
  const progress = new GenerationProgressWriter(outcome.run, recorder, checkpoints);
  const stopLease = checkpoints ? options.leaseTicker?.(() => progress.renewLease()) : undefined;
  try {
    for await (const event of run(checkpoints ? { slm: recorder.slm, llm: recorder.llm } : engines)) {
      if (event.type === 'completed' && event.finishReason !== 'cancelled') stopLease?.();
      await progress.record(event);
      // Two runs of one generation would both spend the models and both answer: the one taken over stops (its engines are released as the relay unwinds).
      if (event.type !== 'completed' && outcome.run.superseded) throw takenOver();
      yield event;
    }
  } finally {
    stopLease?.();
    await progress.close();
  }
}

function takenOver(): RelayError {
  return RelayError.unavailable(
    UnavailableReason.GENERATION_TAKEN_OVER,
    'another replica took this generation over (this one missed its lease); retry with the same request_id for its result',
  );
}

/**
 * The state writes of one generation: a checkpoint at every handoff and lease
 * renewal (coalesced, never awaited), the result before `completed` is passed
 * on, and the request_id freed when it ends any other way.
 */
class GenerationProgressWriter {
  private readonly transcript: SavedSegment[] = [];
  private readonly log = new ProgressLog();
  private readonly writer = new CoalescingWriter();
  private progress: ProgressMark = { turn: 0, segments: 0, streams: 0, responseTokens: 0 };
  private turn = 0;
  private finished = false;
  private stored = false;

  constructor(
    private readonly run: OwnedGeneration,
    private readonly recorder: RelayStreamRecorder,
    private readonly checkpoints: boolean,
  ) {}

  renewLease(): void {
    if (!this.finished) this.save();
  }

  async record(event: RelayStreamEvent): Promise<void> {
    if (event.type === 'text') {
      const segment: SavedSegment = [event.source, event.text, event.tokenCount];
      this.transcript.push(segment);
      if (this.checkpoints) this.log.addSegment(segment);
    }
    if (this.checkpoints && (event.type === 'relayStarted' || event.type === 'relayFinished')) {
      if (event.type === 'relayFinished') this.turn += 1;
      // At a handoff no stream is open: every recorded stream is complete, and logged once.
      this.log.addStreams(this.recorder.takeCompleted());
      this.progress = this.log.mark(this.turn);
      this.save();
    }
    if (event.type === 'completed' && event.finishReason !== 'cancelled') {
      this.finished = true;
      await this.writer.flush();
      await this.run.complete(this.transcript, event).catch(() => undefined);
      this.stored = true;
    }
  }

  async close(): Promise<void> {
    this.finished = true;
    if (this.stored) return;
    await this.writer.flush();
    await this.run.abandon().catch(() => undefined);
  }

  private save(): void {
    const at = this.progress;
    // Serialized when the write starts: a write dropped by the coalescer costs nothing.
    this.writer.write(async () => void (await this.run.checkpoint(this.log.snapshot(at))));
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
