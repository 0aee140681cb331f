import { EngineFinish, type EngineChunks } from '@relayllm/proto';
import { chunkTokenCount, type EngineChunk } from '@relayllm/relay-core';

const FINISH_TO_WIRE: Readonly<Record<NonNullable<EngineChunk['finish']>, EngineFinish>> = {
  eos: EngineFinish.ENGINE_FINISH_EOS,
  length: EngineFinish.ENGINE_FINISH_LENGTH,
  stop: EngineFinish.ENGINE_FINISH_STOP,
  abort: EngineFinish.ENGINE_FINISH_ABORT,
};

export function finishToWire(finish: EngineChunk['finish']): EngineFinish {
  return finish === undefined ? EngineFinish.ENGINE_FINISH_UNSPECIFIED : FINISH_TO_WIRE[finish];
}

/** undefined for UNSPECIFIED (not the last batch); an unknown value from a newer peer ends the generate as 'eos'. */
export function finishFromWire(finish: EngineFinish): EngineChunk['finish'] {
  switch (finish) {
    case EngineFinish.ENGINE_FINISH_UNSPECIFIED:
      return undefined;
    case EngineFinish.ENGINE_FINISH_LENGTH:
      return 'length';
    case EngineFinish.ENGINE_FINISH_STOP:
      return 'stop';
    case EngineFinish.ENGINE_FINISH_ABORT:
      return 'abort';
    default:
      return 'eos';
  }
}

/**
 * Merges an engine's chunks into wire batches (EngineChunks) of at most
 * `maxTokens` tokens: a stream carries one message per batch, not per token
 * (SLM worker: batches of a few tokens; LLM worker: one batch, the whole
 * answer). The caller decides when to flush (token count, time, pause,
 * finish); a chunk larger than `maxTokens` is split, so a batch never grows
 * past the bound whatever the engine does. A text-only engine's chunks keep
 * their own texts (`token_texts`), so the reader gets them back one by one.
 */
export class ChunkAccumulator {
  private tokens: number[] = [];
  private tokenTexts: string[] = [];
  private text = '';
  private probabilities: number[] | undefined = [];
  private tokenCount = 0;
  private textOnly = false;
  private chunks = 0;

  constructor(private readonly maxTokens = Number.POSITIVE_INFINITY) {
    if (!(maxTokens >= 1)) throw new RangeError(`maxTokens must be >= 1, got ${maxTokens}`);
  }

  /** Tokens held (ids, or the counted tokens of text-only chunks). */
  get size(): number {
    return this.textOnly ? this.tokenCount : this.tokens.length;
  }

  get empty(): boolean {
    return this.chunks === 0;
  }

  /** Adds one engine chunk (its `finish` is ignored: pass it to `flush`); returns the batches that became full on the way. */
  add(chunk: EngineChunk): EngineChunks[] {
    const full: EngineChunks[] = [];
    if (chunk.tokens.length === 0) {
      if (chunk.text === '' && chunkTokenCount(chunk) === 0) return full;
      this.textOnly = true;
      this.tokenTexts.push(chunk.text);
      this.text += chunk.text;
      this.tokenCount += chunkTokenCount(chunk);
      // One per token the chunk stands for (an OpenAI-compatible server's logprobs), or the batch has none.
      const probs = chunk.probabilities !== undefined && chunk.probabilities.length === chunkTokenCount(chunk) ? chunk.probabilities : undefined;
      if (this.probabilities !== undefined && probs !== undefined) this.probabilities.push(...probs);
      else this.probabilities = undefined;
      this.chunks += 1;
      if (this.size >= this.maxTokens) full.push(this.flush());
      return full;
    }
    const texts = chunk.tokenTexts ?? (chunk.tokens.length === 1 ? [chunk.text] : undefined);
    if (texts === undefined || texts.length !== chunk.tokens.length) throw new Error('engine chunk with several ids and no matching tokenTexts');
    const probs = chunk.probabilities !== undefined && chunk.probabilities.length === chunk.tokens.length ? chunk.probabilities : undefined;
    chunk.tokens.forEach((token, i) => {
      this.tokens.push(token);
      this.tokenTexts.push(texts[i] as string);
      this.text += texts[i] as string;
      if (this.probabilities !== undefined && probs !== undefined) this.probabilities.push(probs[i] as number);
      else this.probabilities = undefined;
      this.chunks += 1;
      if (this.tokens.length >= this.maxTokens) full.push(this.flush());
    });
    return full;
  }

  /** The held batch (possibly empty) with `finish` when given; the accumulator is then empty. */
  flush(finish?: EngineChunk['finish']): EngineChunks {
    const batch: EngineChunks = {
      tokens: this.tokens,
      tokenTexts: this.tokenTexts,
      text: this.text,
      probabilities: this.probabilities ?? [],
      tokenCount: this.textOnly ? this.tokenCount : undefined,
      finish: finishToWire(finish),
    };
    this.tokens = [];
    this.tokenTexts = [];
    this.text = '';
    this.probabilities = [];
    this.tokenCount = 0;
    this.textOnly = false;
    this.chunks = 0;
    return batch;
  }
}

/**
 * A wire batch as engine chunks: one chunk with ids (and tokenTexts when
 * several) for a token engine; for a text-only engine one chunk per original
 * text when each stood for one token, else one chunk with the batch's count.
 * `finish` is on the last chunk.
 */
export function chunksFromWire(batch: EngineChunks): EngineChunk[] {
  const finish = finishFromWire(batch.finish);
  const last = (chunk: EngineChunk): EngineChunk => (finish === undefined ? chunk : { ...chunk, finish });
  if (batch.tokens.length > 0) {
    const chunk: EngineChunk = { tokens: batch.tokens, text: batch.text };
    if (batch.tokens.length > 1 || batch.tokenTexts.length > 0) chunk.tokenTexts = batch.tokenTexts;
    if (batch.probabilities.length === batch.tokens.length) chunk.probabilities = batch.probabilities;
    return [last(chunk)];
  }
  const count = batch.tokenCount ?? batch.tokenTexts.length;
  if (batch.tokenTexts.length > 0 && batch.tokenTexts.length === count) {
    const probabilities = batch.probabilities.length === count ? batch.probabilities : undefined;
    const chunks = batch.tokenTexts.map((text, i): EngineChunk => {
      const chunk: EngineChunk = { tokens: [], text, tokenCount: 1 };
      if (probabilities !== undefined) chunk.probabilities = [probabilities[i] as number];
      return chunk;
    });
    chunks[chunks.length - 1] = last(chunks[chunks.length - 1] as EngineChunk);
    return chunks;
  }
  return [last({ tokens: [], text: batch.text, tokenCount: count })];
}
