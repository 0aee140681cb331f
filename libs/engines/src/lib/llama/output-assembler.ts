import type { EngineChunk, EngineFinish } from '@relayllm/relay-core';

/** An EngineChunk that may also carry the full next-token distribution of each id. */
export interface LlamaEngineChunk extends EngineChunk {
  /**
   * With `probabilities: 'full'`: per id in `tokens`, the probability of every
   * vocabulary id at that step (indexed by id), as reported after the sampling
   * chain (with temperature 0 that chain keeps every id: the model's softmax).
   */
  distributions?: readonly Float64Array[];
  /**
   * On the first chunk of a stream only: how the context was fed. `reusedTokens`
   * context ids were already in the sequence's KV cache and were kept;
   * `evaluatedTokens` context ids were evaluated for this request (the rest).
   */
  prefill?: { reusedTokens: number; evaluatedTokens: number };
}

export interface SampledToken {
  token: number;
  /** Probability of `token` (node-llama-cpp `confidence`). */
  probability?: number;
  distribution?: Float64Array;
}

export interface OutputAssemblerOptions {
  /** End-of-generation ids (EOS): reported with empty text, finish 'eos'. */
  isEog(token: number): boolean;
  stopTokens: readonly number[];
  stop: readonly string[];
  /** Most tokens to generate (EOS included); reaching it is finish 'length'. */
  maxTokens: number;
  /** Text of `tokens` (control tokens as their literal text) following `lastTokens`. */
  decode(tokens: readonly number[], lastTokens: readonly number[]): string;
}

interface Held extends SampledToken {
  text: string;
  /** Offsets of `text` within the held text. */
  start: number;
  end: number;
}

/** A UTF-8 character is at most 4 bytes: give up waiting for it to complete after that. */
const MAX_INCOMPLETE_TOKENS = 4;
/** Ids passed to the detokenizer as left context (for tokenizers that merge spaces). */
const LAST_TOKENS = 8;

/**
 * Turns sampled ids into EngineChunks, one model step at a time. Owns the
 * rules about text that the relay relies on:
 *
 * - Text is released per id, and `tokenTexts` always concatenate to `text`. A
 *   byte that starts a multi-byte character gets '' and the byte completing it
 *   carries the character (as a streaming detokenizer would); after 4 bytes
 *   that still do not decode, the replacement characters are released.
 * - Stop strings follow the OpenAI convention: the matched string is not part
 *   of the output. Output that could be the beginning of a stop string is held
 *   back until it is known not to be one, so such a chunk can carry several
 *   ids. A match starting inside a multi-character token keeps that token.
 * - Stop token ids and EOS end the stream and ARE reported (a relay must see
 *   the `</call>` that closes a command); EOS has empty text.
 */
export class OutputAssembler {
  private held: Held[] = [];
  private heldText = '';
  private undecoded: number[] = [];
  private readonly recent: number[] = [];
  private generated = 0;
  private readonly stopTokens: ReadonlySet<number>;
  private readonly stop: readonly string[];

  constructor(private readonly options: OutputAssemblerOptions) {
    this.stopTokens = new Set(options.stopTokens);
    this.stop = options.stop.filter((s) => s !== '');
  }

  /** Tokens received so far (EOS and stop ids included). */
  get count(): number {
    return this.generated;
  }

  /** Adds one sampled id; `finish` is set on the returned chunk when the stream must end. */
  push(sampled: SampledToken): LlamaEngineChunk | undefined {
    this.generated += 1;
    const { token } = sampled;
    if (this.options.isEog(token)) {
      this.undecoded = []; // an unfinished character before EOS can never complete
      this.append(sampled, '');
      return this.flush('eos');
    }
    this.append(sampled, this.textOf(token));
    if (this.stopTokens.has(token)) return this.flush('stop');
    const match = this.firstStopMatch();
    if (match !== undefined) return this.release(match, 'stop');
    if (this.generated >= this.options.maxTokens) return this.flush('length');
    return this.release(this.holdPoint());
  }

  /** Ends the stream for a reason of the caller's ('abort', or 'length' when the context is full). */
  end(finish: EngineFinish): LlamaEngineChunk {
    return this.flush(finish);
  }

  private textOf(token: number): string {
    this.undecoded.push(token);
    const text = this.options.decode(this.undecoded, this.recent);
    if (text.endsWith('\uFFFD') && this.undecoded.length < MAX_INCOMPLETE_TOKENS) return '';
    this.recent.push(...this.undecoded);
    this.recent.splice(0, Math.max(0, this.recent.length - LAST_TOKENS));
    this.undecoded = [];
    return text;
  }

  private append(sampled: SampledToken, text: string): void {
    const start = this.heldText.length;
    this.heldText += text;
    this.held.push({ ...sampled, text, start, end: this.heldText.length });
  }

  /** Offset in the held text where the earliest complete stop string starts. */
  private firstStopMatch(): number | undefined {
    let first: number | undefined;
    for (const s of this.stop) {
      const at = this.heldText.indexOf(s);
      if (at >= 0 && (first === undefined || at < first)) first = at;
    }
    return first;
  }

  /** Earliest offset from which the held text could still grow into a stop string. */
  private holdPoint(): number {
    const text = this.heldText;
    for (let at = 0; at < text.length; at += 1) {
      const tail = text.slice(at);
      if (this.stop.some((s) => s.startsWith(tail))) return at;
    }
    return text.length;
  }

  /**
   * Emits the held ids whose text lies before `offset` (an id with empty text
   * at `offset` belongs to what follows it); with `finish`, the rest is dropped.
   */
  private release(offset: number, finish?: EngineFinish): LlamaEngineChunk | undefined {
    let n = 0;
    const keepStraddling = finish !== undefined; // a stop match inside a token keeps that token
    while (n < this.held.length) {
      const h = this.held[n] as Held;
      if (!(h.start < offset && (h.end <= offset || keepStraddling))) break;
      n += 1;
    }
    const out = this.held.slice(0, n);
    if (finish !== undefined) {
      this.held = [];
      this.heldText = '';
      return chunkOf(out, finish);
    }
    const cut = out.length > 0 ? (out[out.length - 1] as Held).end : 0;
    this.held = this.held.slice(n).map((h) => ({ ...h, start: h.start - cut, end: h.end - cut }));
    this.heldText = this.heldText.slice(cut);
    return out.length > 0 ? chunkOf(out) : undefined;
  }

  private flush(finish: EngineFinish): LlamaEngineChunk {
    const out = this.held;
    this.held = [];
    this.heldText = '';
    return chunkOf(out, finish);
  }
}

function chunkOf(items: readonly Held[], finish?: EngineFinish): LlamaEngineChunk {
  const chunk: LlamaEngineChunk = { tokens: items.map((h) => h.token), text: items.map((h) => h.text).join('') };
  if (items.length > 1) chunk.tokenTexts = items.map((h) => h.text);
  if (items.length > 0 && items.every((h) => h.probability !== undefined)) {
    chunk.probabilities = items.map((h) => h.probability as number);
  }
  if (items.length > 0 && items.every((h) => h.distribution !== undefined)) {
    chunk.distributions = items.map((h) => h.distribution as Float64Array);
  }
  if (finish !== undefined) chunk.finish = finish;
  return chunk;
}
