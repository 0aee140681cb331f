import type { SlmChunks } from '@relayllm/proto';
import type { EngineChunk } from '@relayllm/relay-core';
import { finishToWire } from '../wire';

/**
 * Merges an engine's chunks into frames (SlmChunks) of at most `maxTokens`
 * tokens, so that a stream carries one message per batch, not per token. The
 * caller decides when to flush (token count, time, pause, finish); a single
 * engine chunk larger than `maxTokens` is split, so a frame never grows past
 * the bound whatever the engine does.
 */
export class ChunkBatcher {
  private tokens: number[] = [];
  private tokenTexts: string[] = [];
  private text = '';
  private probabilities: number[] | undefined = [];
  private tokenCount = 0;
  private textOnly = false;
  private chunks = 0;

  constructor(
    private readonly generateSeq: number,
    private readonly maxTokens: number,
  ) {
    if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new RangeError(`maxTokens must be >= 1, got ${maxTokens}`);
  }

  /** Tokens held (ids, or the reported count of text-only chunks). */
  get size(): number {
    return this.textOnly ? this.tokenCount : this.tokens.length;
  }

  get empty(): boolean {
    return this.chunks === 0;
  }

  /**
   * Adds one engine chunk (its `finish` is ignored: pass it to `flush`).
   * Returns the frames that became full on the way (usually none).
   */
  add(chunk: EngineChunk): SlmChunks[] {
    const full: SlmChunks[] = [];
    if (chunk.tokens.length === 0) {
      // Text-only engine: the text cannot be cut by tokens; it is kept whole.
      this.textOnly = true;
      this.text += chunk.text;
      this.tokenCount += chunk.tokenCount ?? (chunk.text === '' ? 0 : 1);
      this.probabilities = undefined;
      this.chunks += 1;
      if (this.size >= this.maxTokens) full.push(this.flush());
      return full;
    }
    const texts = chunk.tokenTexts ?? (chunk.tokens.length === 1 ? [chunk.text] : undefined);
    if (texts === undefined || texts.length !== chunk.tokens.length) {
      throw new Error('engine chunk with several ids and no matching tokenTexts');
    }
    const probs = chunk.probabilities !== undefined && chunk.probabilities.length === chunk.tokens.length ? chunk.probabilities : undefined;
    chunk.tokens.forEach((token, i) => {
      this.tokens.push(token);
      const t = texts[i] as string;
      this.tokenTexts.push(t);
      this.text += t;
      if (this.probabilities !== undefined && probs !== undefined) this.probabilities.push(probs[i] as number);
      else this.probabilities = undefined;
      this.chunks += 1;
      if (this.tokens.length >= this.maxTokens) full.push(this.flush());
    });
    return full;
  }

  /** The held batch as one frame (possibly empty), with `finish` / `paused` when given; the batcher is then empty. */
  flush(end: { finish?: EngineChunk['finish']; paused?: boolean } = {}): SlmChunks {
    const frame: SlmChunks = {
      generateSeq: this.generateSeq,
      tokens: this.tokens,
      tokenTexts: this.tokenTexts,
      text: this.text,
      probabilities: this.probabilities ?? [],
      tokenCount: this.textOnly ? this.tokenCount : undefined,
      finish: finishToWire(end.finish),
      paused: end.paused === true,
    };
    this.tokens = [];
    this.tokenTexts = [];
    this.text = '';
    this.probabilities = [];
    this.tokenCount = 0;
    this.textOnly = false;
    this.chunks = 0;
    return frame;
  }
}
