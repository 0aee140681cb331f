import { EngineDecorator, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Spec double around a REAL engine: records every request and can pace the
 * stream. Pacing stands in for a bigger model: the reference pair writes a
 * token in about a millisecond, so a whole answer is over before a client
 * can cancel it "mid-stream"; with a few ms per chunk the generation is
 * reliably still running. The wrapped engine keeps its own sequences and
 * abort handling, which is what the specs observe (busySequences).
 */
export class ObservedEngine extends EngineDecorator {
  readonly requests: EngineRequest[] = [];
  /** Delay before passing on each chunk (0 = none). */
  delayMs = 0;
  /** Chunks passed on so far: how far a paced generation got, counted in decode steps rather than wall time. */
  passedChunks = 0;
  /** What each request had to evaluate before decoding, as a llama.cpp engine reports it on its first chunk. */
  readonly prefills: { sequenceId: string; turn: number; reusedTokens: number; evaluatedTokens: number }[] = [];

  async *generate(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    this.requests.push(request);
    // Leaving the loop (abort) calls the inner stream's return(), which releases its sequence.
    for await (const chunk of this.inner.generate(request, signal)) {
      if (this.delayMs > 0) await sleep(this.delayMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      const prefill = (chunk as EngineChunk & { prefill?: { reusedTokens: number; evaluatedTokens: number } }).prefill;
      if (prefill !== undefined) this.prefills.push({ sequenceId: request.sequenceId, turn: request.turn, ...prefill });
      this.passedChunks += 1;
      yield chunk;
    }
  }
}
