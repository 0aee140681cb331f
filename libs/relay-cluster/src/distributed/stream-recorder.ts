import type { Engine, EngineChunk, EngineRequest } from '@relayllm/relay-core';
import type { LlmPool, LlmRelayRequest } from '@relayllm/relay-core';
import { isLlmPool } from '@relayllm/relay-core';

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
  private replaying: boolean;
  private readonly fresh = new Set<'slm' | 'llm'>();
  /** Streams served from the saved log. */
  replayed = 0;
  readonly slm: Engine;
  readonly llm: LlmPool;

  constructor(
    slm: Engine,
    llm: Engine | LlmPool,
    private readonly saved: readonly RecordedStream[] = [],
  ) {
    this.replaying = saved.length > 0;
    this.slm = {
      start: () => slm.start(),
      close: () => slm.close(),
      generate: (request, signal) => this.stream('slm', request, (r) => slm.generate(r, signal), signal),
    };
    this.llm = {
      relay: (request, signal) =>
        this.stream('llm', request, (r) => (isLlmPool(llm) ? llm.relay(r as LlmRelayRequest, signal) : llm.generate(r, signal)), signal),
    };
  }

  /** The streams opened so far (at a handoff, all of them are complete). */
  recorded(): RecordedStream[] {
    return this.streams.map((s) => ({ role: s.role, chunks: s.chunks.slice() }));
  }

  private stream<R extends EngineRequest>(
    role: 'slm' | 'llm',
    request: R,
    open: (request: R) => AsyncIterable<EngineChunk>,
    signal: AbortSignal,
  ): AsyncIterable<EngineChunk> {
    const record: RecordedStream = { role, chunks: [] };
    const saved = this.saved[this.streams.length];
    this.streams.push(record);
    if (this.replaying && saved !== undefined && saved.role === role) {
      this.replayed += 1;
      return replay(saved.chunks, record, signal);
    }
    this.replaying = false;
    let live = request;
    if (this.replayed > 0 && !this.fresh.has(role)) {
      // After a replay this model's worker has nothing cached for the sequence.
      this.fresh.add(role);
      live = { ...request, appendOnly: false };
      delete live.appendFrom;
    }
    return recordStream(open(live), record);
  }
}

async function* replay(chunks: readonly EngineChunk[], record: RecordedStream, signal: AbortSignal): AsyncGenerator<EngineChunk> {
  for (const chunk of chunks) {
    if (signal.aborted) return;
    record.chunks.push(chunk);
    yield chunk;
  }
}

async function* recordStream(source: AsyncIterable<EngineChunk>, record: RecordedStream): AsyncGenerator<EngineChunk> {
  for await (const chunk of source) {
    record.chunks.push(withoutProbabilities(chunk));
    yield chunk;
  }
}

/** The session never reads probabilities; leaving them out keeps saved state small. */
function withoutProbabilities(chunk: EngineChunk): EngineChunk {
  if (chunk.probabilities === undefined) return chunk;
  const copy = { ...chunk };
  delete copy.probabilities;
  return copy;
}
