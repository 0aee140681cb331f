import { EngineDecorator, freshRequest, type Engine, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';

/** One engine stream of a generation as the relay consumed it. */
export interface RecordedStream {
  role: 'slm' | 'llm';
  chunks: EngineChunk[];
}

/**
 * Records the engine streams of one generation, in order, exactly as runRelay
 * consumed them, and replays a saved prefix of them. RelaySession is a pure
 * state machine, so feeding it the same chunks again rebuilds its whole state
 * (views, parsers, usage, turn): that is how another replica resumes a
 * generation from its saved state without asking the models again for the
 * turns already done. Replay stops at the first stream that is not in the log
 * (or whose role differs); from then on the real engines serve, the first
 * request of each model without appendOnly (the new worker holds no KV state
 * for the sequence).
 */
export class RelayStreamRecorder {
  private readonly streams: RecordedStream[] = [];
  /** Streams handed over by takeCompleted(). */
  private taken = 0;
  private replaying: boolean;
  private readonly fresh = new Set<'slm' | 'llm'>();
  /** Streams served from the saved log. */
  replayed = 0;
  readonly slm: Engine;
  readonly llm: Engine;

  /**
   * `keepProbabilities`: the session reads token probabilities (a request with
   * a confidence floor), so a replay must give them back; otherwise they are
   * left out, which keeps saved state small.
   */
  constructor(
    slm: Engine,
    llm: Engine,
    private readonly saved: readonly RecordedStream[] = [],
    private readonly keepProbabilities = false,
  ) {
    this.replaying = saved.length > 0;
    this.slm = new RecordingEngine(slm, (request, open) => this.stream('slm', request, open));
    this.llm = new RecordingEngine(llm, (request, open) => this.stream('llm', request, open));
  }

  /** The streams opened so far (at a handoff, all of them are complete). */
  recorded(): RecordedStream[] {
    return this.streams.map((s) => ({ role: s.role, chunks: s.chunks.slice() }));
  }

  /**
   * The streams recorded since the last call, handed over for good: call it
   * at a handoff, when every stream is complete. The recorder then keeps only
   * their role (their position counts for replay), so a generation's chunks
   * are held once, by whoever took them, not twice.
   */
  takeCompleted(): RecordedStream[] {
    const fresh = this.streams.slice(this.taken);
    for (let i = this.taken; i < this.streams.length; i += 1) this.streams[i] = { role: this.streams[i].role, chunks: [] };
    this.taken = this.streams.length;
    return fresh;
  }

  private stream(role: 'slm' | 'llm', request: EngineRequest, open: StreamOpener): AsyncIterable<EngineChunk> {
    const record: RecordedStream = { role, chunks: [] };
    const saved = this.saved[this.streams.length];
    this.streams.push(record);
    if (this.replaying && saved !== undefined && saved.role === role) {
      this.replayed += 1;
      return replay(saved.chunks, record, open.signal);
    }
    this.replaying = false;
    let live = request;
    if (this.replayed > 0 && !this.fresh.has(role)) {
      // After a replay this model's worker has nothing cached for the sequence.
      this.fresh.add(role);
      live = freshRequest(request);
    }
    return recordStream(open.engine.generate(live, open.signal), record, this.keepProbabilities);
  }
}

/** What a recording engine hands the recorder for one generate: the real engine and the stream's signal. */
interface StreamOpener {
  engine: Engine;
  signal: AbortSignal;
}

/** An engine whose streams go through the recorder (replayed from the log, or recorded live). */
class RecordingEngine extends EngineDecorator {
  constructor(
    inner: Engine,
    private readonly stream: (request: EngineRequest, open: StreamOpener) => AsyncIterable<EngineChunk>,
  ) {
    super(inner);
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.stream(request, { engine: this.inner, signal });
  }
}

async function* replay(chunks: readonly EngineChunk[], record: RecordedStream, signal: AbortSignal): AsyncGenerator<EngineChunk> {
  for (const chunk of chunks) {
    if (signal.aborted) return;
    record.chunks.push(chunk);
    yield chunk;
  }
}

async function* recordStream(source: AsyncIterable<EngineChunk>, record: RecordedStream, keepProbabilities: boolean): AsyncGenerator<EngineChunk> {
  for await (const chunk of source) {
    record.chunks.push(keepProbabilities ? chunk : withoutProbabilities(chunk));
    yield chunk;
  }
}

/** Without a confidence floor the session never reads probabilities. */
function withoutProbabilities(chunk: EngineChunk): EngineChunk {
  if (chunk.probabilities === undefined) return chunk;
  const copy = { ...chunk };
  delete copy.probabilities;
  return copy;
}
