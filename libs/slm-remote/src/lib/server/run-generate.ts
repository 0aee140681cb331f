import { valueWithin } from '@relayllm/bounded-waits';
import type { SlmWorkerFrame } from '@relayllm/proto';
import {
  CancelledReason,
  DeadlineExceededReason,
  RelayError,
  toEngineError,
  whenAborted,
  type AbortWait,
  type Engine,
  type EngineChunk,
} from '@relayllm/relay-core';
import { ChunkAccumulator } from '@relayllm/worker-protocol';
import { errorFrame, type ReceivedGenerate } from '../frames';

export interface GenerateInput {
  seq: number;
  received: ReceivedGenerate;
  engine: Engine;
  flushTokens: number;
  flushMs: number;
  abortGraceMs: number;
  /** Aborted when the whole stream ends (client gone, shutdown). */
  streamSignal: AbortSignal;
  /** See SlmStreamSettings.runInTraceContext. */
  runInTraceContext?: <T>(traceContext: Readonly<Record<string, string>>, start: () => T) => T;
  /** Writes one frame, resolving when the transport can take more. */
  send(frame: SlmWorkerFrame): Promise<void>;
}

/** One generate on a stream, as the session sees it. */
export interface GenerateHandle {
  readonly seq: number;
  /** run() has returned (the engine gave its sequence back, or the grace ran out). */
  readonly settled: boolean;
  cancel(): void;
  resume(): void;
  run(): Promise<void>;
}

const TICK = Symbol('flush-tick');
/** One shared reason: abort() without one builds a DOMException with a stack at every cancel (hot: every handoff). */
const GENERATE_CANCELLED = RelayError.cancelled(CancelledReason.RELAY_ABORTED, 'the client cancelled the generate');
const MAX_TIMER_MS = 2 ** 31 - 1;
const STOPPED = Symbol('stopped');

/**
 * Streams one engine generate as batched frames: a frame goes out when it
 * holds `flushTokens` tokens, when its first token has waited `flushMs`, at a
 * pause token (then nothing more is generated until resume: the engine's
 * iterator simply is not pulled, so the model state stays where it was), and
 * at the finish. Cancel, the request's deadline or the stream's end abort the
 * engine; the engine's iterator is always closed and awaited (bounded), so no
 * sequence is left busy.
 */
export function runGenerate(input: GenerateInput): GenerateHandle {
  const cancel = new AbortController();
  let resumeWaiter: (() => void) | undefined;
  let settled = false;
  const handle: GenerateHandle = {
    seq: input.seq,
    get settled() {
      return settled;
    },
    cancel: () => cancel.abort(GENERATE_CANCELLED),
    resume: () => resumeWaiter?.(),
    run: async () => {
      try {
        await generate(input, cancel.signal, (waiter) => (resumeWaiter = waiter));
      } finally {
        settled = true;
      }
    },
  };
  return handle;
}

async function generate(input: GenerateInput, cancelSignal: AbortSignal, onPause: (resume: (() => void) | undefined) => void): Promise<void> {
  await new FramedGenerate(input, cancelSignal, onPause).run();
}

type Step = 'next' | 'finished' | 'stopped';

/** One engine generate streamed as frames (see runGenerate); its state lives as long as the generate. */
class FramedGenerate {
  private readonly deadline: AbortSignal | undefined;
  private readonly signal: AbortSignal;
  private readonly stopped: AbortWait<typeof STOPPED>;
  private readonly batcher: ChunkAccumulator;
  private readonly pauseAt: PausePoints;
  private firstHeldAt = 0;

  constructor(
    private readonly input: GenerateInput,
    private readonly cancelSignal: AbortSignal,
    private readonly onPause: (resume: (() => void) | undefined) => void,
  ) {
    const { timeoutMs } = input.received;
    // Clamped to what a Node timer can hold (a larger one would fire at once).
    this.deadline = timeoutMs > 0 ? AbortSignal.timeout(Math.min(timeoutMs, MAX_TIMER_MS)) : undefined;
    this.signal = AbortSignal.any([cancelSignal, input.streamSignal, ...(this.deadline === undefined ? [] : [this.deadline])]);
    this.stopped = whenAborted(this.signal, STOPPED);
    this.batcher = new ChunkAccumulator(input.flushTokens);
    this.pauseAt = new PausePoints(input.received.pauseTokens, input.received.pauseArmTokens);
  }

  async run(): Promise<void> {
    if (this.signal.aborted) {
      this.stopped.dispose();
      await this.endAborted();
      return;
    }
    let iterator: AsyncIterator<EngineChunk> | undefined;
    let pending: Promise<IteratorResult<EngineChunk>> | undefined;
    try {
      iterator = this.start()[Symbol.asyncIterator]();
      for (let step: Step = 'next'; step === 'next'; ) {
        pending ??= iterator.next();
        const result = await this.nextOrTick(pending);
        if (result === STOPPED) step = await this.stop();
        else if (result === TICK) await this.sendChunks(this.batcher.flush());
        else {
          pending = undefined;
          step = await this.take(result);
        }
      }
    } catch (error) {
      if (this.signal.aborted) await this.endAborted();
      else await this.sendError(toEngineError(error, 'SLM'));
    } finally {
      this.stopped.dispose();
      if (pending !== undefined) pending.catch(() => undefined);
      // Closing the iterator ends the engine's generate (its finally gives the
      // sequence back); bounded, so an engine that hangs cannot pin the stream.
      if (iterator?.return !== undefined) await valueWithin(iterator.return(), this.input.abortGraceMs);
    }
  }

  private start(): AsyncIterable<EngineChunk> {
    const { engine, received, runInTraceContext } = this.input;
    const start = (): AsyncIterable<EngineChunk> => engine.generate(received.request, this.signal);
    return runInTraceContext === undefined ? start() : runInTraceContext(received.traceContext, start);
  }

  /** The engine's next result, the flush timer of a held frame, or the stop. */
  private async nextOrTick(pending: Promise<IteratorResult<EngineChunk>>): Promise<IteratorResult<EngineChunk> | typeof TICK | typeof STOPPED> {
    const waits: Promise<IteratorResult<EngineChunk> | typeof TICK | typeof STOPPED>[] = [pending, this.stopped.promise];
    let timer: NodeJS.Timeout | undefined;
    if (!this.batcher.empty) {
      const wait = Math.max(0, this.firstHeldAt + this.input.flushMs - Date.now());
      waits.push(new Promise((r) => (timer = setTimeout(() => r(TICK), wait))));
    }
    const result = await Promise.race(waits);
    clearTimeout(timer);
    return result;
  }

  /** Handles one engine result; 'stopped' ends the generate as aborted. */
  private async take(result: IteratorResult<EngineChunk>): Promise<Step> {
    if (result.done === true) {
      await this.sendChunks(this.batcher.flush('eos')); // ended without a finish: ended naturally
      return 'finished';
    }
    const chunk = result.value;
    if (this.batcher.empty) this.firstHeldAt = Date.now();
    for (const frame of this.batcher.add(chunk)) await this.sendChunks(frame);
    if (chunk.finish !== undefined) {
      if (chunk.finish === 'abort' && this.signal.aborted) return this.stop(); // our own abort
      await this.sendChunks(this.batcher.flush(chunk.finish));
      return 'finished';
    }
    if (this.pauseAt.reached(chunk.tokens)) {
      await this.sendChunks(this.batcher.flush(), true);
      return (await this.resumed()) ? 'next' : this.stop();
    }
    if (this.batcher.size >= this.input.flushTokens) await this.sendChunks(this.batcher.flush());
    return 'next';
  }

  /** Paused: the engine's iterator is not pulled until resume (true) or the stop (false). */
  private async resumed(): Promise<boolean> {
    const resumed = await new Promise<boolean>((resolve) => {
      this.onPause(() => resolve(true));
      void this.stopped.promise.then(() => resolve(false));
    });
    this.onPause(undefined);
    return resumed;
  }

  private async stop(): Promise<Step> {
    await this.endAborted();
    return 'stopped';
  }

  private async endAborted(): Promise<void> {
    if (this.deadline?.aborted === true && !this.cancelSignal.aborted && !this.input.streamSignal.aborted) {
      const ms = this.input.received.timeoutMs;
      await this.sendError(RelayError.deadlineExceeded(DeadlineExceededReason.WORKER_DEADLINE, `the generate ran past its time limit of ${ms} ms`));
    } else if (!this.input.streamSignal.aborted) {
      await this.sendChunks(this.batcher.flush('abort'));
    }
  }

  private sendChunks(chunks: ReturnType<ChunkAccumulator['flush']>, paused = false): Promise<void> {
    return this.input.send({ frame: { $case: 'chunks', value: { generateSeq: this.input.seq, chunks, paused } } });
  }

  private sendError(error: RelayError): Promise<void> {
    return this.input.send({ frame: { $case: 'error', value: errorFrame(error, this.input.seq) } });
  }
}

/** Pause tokens, armed by an arm token since the last pause when arm tokens are given. */
class PausePoints {
  private readonly pause: ReadonlySet<number>;
  private readonly arm: ReadonlySet<number>;
  private armed: boolean;

  constructor(pause: readonly number[], arm: readonly number[]) {
    this.pause = new Set(pause);
    this.arm = new Set(arm);
    this.armed = this.arm.size === 0;
  }

  /** The chunk contains an armed pause token (then disarms until the next arm token). */
  reached(tokens: readonly number[]): boolean {
    let hit = false;
    for (const t of tokens) {
      if (this.arm.has(t)) this.armed = true;
      else if (this.pause.has(t) && this.armed) {
        hit = true;
        this.armed = this.arm.size === 0;
      }
    }
    return hit;
  }
}
