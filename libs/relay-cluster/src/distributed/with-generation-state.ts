import type { Engine, RelayRequest, RelayStreamEvent } from '@relayllm/relay-core';
import type { GenerationProgress, GenerationStateStore, SavedSegment } from './generation-state';
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
  const recorder = new RelayStreamRecorder(engines.slm, engines.llm, outcome.kind === 'resume' ? outcome.record.streams : []);
  const id = request.generationId;
  const fingerprint = states.fingerprint(request);
  const transcript: SavedSegment[] = [];
  const writer = new CoalescingWriter();
  let progress: GenerationProgress = { turn: 0, transcript: [], streams: [] };
  let turn = 0;
  let finished = false;
  let stored = false;
  const save = (): void => {
    const at = progress;
    writer.write(() => states.checkpoint(id, fingerprint, at));
  };
  const stopLease = checkpoints
    ? options.leaseTicker?.(() => {
        if (!finished) save();
      })
    : undefined;
  try {
    for await (const event of run(checkpoints ? { slm: recorder.slm, llm: recorder.llm } : engines)) {
      if (event.type === 'text') transcript.push([event.source, event.text, event.tokenCount]);
      if (checkpoints && (event.type === 'relayStarted' || event.type === 'relayFinished')) {
        if (event.type === 'relayFinished') turn += 1;
        // At a handoff no stream is open: every recorded stream is complete.
        progress = { turn, transcript: transcript.slice(), streams: recorder.recorded() };
        save();
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
