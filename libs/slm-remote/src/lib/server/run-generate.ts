import type { SlmWorkerFrame } from '@relayllm/proto';
import { DeadlineExceededReason, RelayError, toEngineError, type Engine, type EngineChunk } from '@relayllm/relay-core';
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
    cancel: () => cancel.abort(),
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
  const { seq, received } = input;
  // Clamped to what a Node timer can hold (a larger one would fire at once).
  const deadline = received.timeoutMs > 0 ? AbortSignal.timeout(Math.min(received.timeoutMs, MAX_TIMER_MS)) : undefined;
  const signal = AbortSignal.any([cancelSignal, input.streamSignal, ...(deadline === undefined ? [] : [deadline])]);
  const sendChunks = (chunks: ReturnType<ChunkAccumulator['flush']>, paused = false): Promise<void> =>
    input.send({ frame: { $case: 'chunks', value: { generateSeq: seq, chunks, paused } } });
  const sendError = (error: RelayError): Promise<void> => input.send({ frame: { $case: 'error', value: errorFrame(error, seq) } });
  const stopped = untilAborted(signal);
  const batcher = new ChunkAccumulator(input.flushTokens);
  const pauseAt = new PausePoints(received.pauseTokens, received.pauseArmTokens);
  if (signal.aborted) {
    await endAborted();
    return;
  }
  let iterator: AsyncIterator<EngineChunk> | undefined;
  let pending: Promise<IteratorResult<EngineChunk>> | undefined;
  let firstHeldAt = 0;
  try {
    const start = (): AsyncIterable<EngineChunk> => input.engine.generate(received.request, signal);
    iterator = (input.runInTraceContext === undefined ? start() : input.runInTraceContext(received.traceContext, start))[Symbol.asyncIterator]();
    for (;;) {
      pending ??= iterator.next();
      const waits: Promise<IteratorResult<EngineChunk> | typeof TICK | typeof STOPPED>[] = [pending, stopped.promise];
      let timer: NodeJS.Timeout | undefined;
      if (!batcher.empty) waits.push(new Promise((r) => (timer = setTimeout(() => r(TICK), Math.max(0, firstHeldAt + input.flushMs - Date.now())))));
      const result = await Promise.race(waits);
      clearTimeout(timer);
      if (result === STOPPED) break;
      if (result === TICK) {
        await sendChunks(batcher.flush());
        continue;
      }
      pending = undefined;
      if (result.done === true) {
        await sendChunks(batcher.flush('eos')); // ended without a finish: ended naturally
        return;
      }
      const chunk = result.value;
      if (batcher.empty) firstHeldAt = Date.now();
      for (const frame of batcher.add(chunk)) await sendChunks(frame);
      if (chunk.finish !== undefined) {
        if (chunk.finish === 'abort' && signal.aborted) break; // our own abort: reported below
        await sendChunks(batcher.flush(chunk.finish));
        return;
      }
      if (pauseAt.reached(chunk.tokens)) {
        await sendChunks(batcher.flush(), true);
        const resumed = await new Promise<boolean>((resolve) => {
          onPause(() => resolve(true));
          void stopped.promise.then(() => resolve(false));
        });
        onPause(undefined);
        if (!resumed) break;
        continue;
      }
      if (batcher.size >= input.flushTokens) await sendChunks(batcher.flush());
    }
    await endAborted();
  } catch (error) {
    if (signal.aborted) await endAborted();
    else await sendError(toEngineError(error, 'SLM'));
  } finally {
    stopped.dispose();
    if (pending !== undefined) pending.catch(() => undefined);
    // Closing the iterator ends the engine's generate (its finally gives the
    // sequence back); bounded, so an engine that hangs cannot pin the stream.
    if (iterator?.return !== undefined) await bounded(iterator.return(), input.abortGraceMs);
  }

  async function endAborted(): Promise<void> {
    if (deadline?.aborted === true && !cancelSignal.aborted && !input.streamSignal.aborted) {
      await sendError(RelayError.deadlineExceeded(DeadlineExceededReason.WORKER_DEADLINE, `the generate ran past its time limit of ${received.timeoutMs} ms`));
    } else if (!input.streamSignal.aborted) {
      await sendChunks(batcher.flush('abort'));
    }
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

function untilAborted(signal: AbortSignal): { promise: Promise<typeof STOPPED>; dispose(): void } {
  let onAbort = (): void => undefined;
  const promise = new Promise<typeof STOPPED>((resolve) => {
    onAbort = () => resolve(STOPPED);
    if (signal.aborted) resolve(STOPPED);
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

async function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
