import type { Engine, EngineChunk, EngineFinish, EngineRequest } from '../ports/engine';
import { BYTE_LEVEL_TOKEN_IDS } from '../protocol/vocabulary';
import { encodeScript, type ReferenceToken } from './reference-tokenizer';

/**
 * One scripted generate() call. `text` is model output in script form:
 * `<call>` / `</call>` are the control tokens, `</s>` is EOS (finish 'eos');
 * without `</s>` the stream just ends after the script (no finish), unless
 * `finish` says otherwise.
 */
export interface ScriptedOutput {
  text: string;
  finish?: EngineFinish;
  /** After this many chunks, throw `error` (engine failure). */
  failAfterChunks?: number;
  error?: Error;
  /** After this many chunks, wait forever; with ignoreAbort the wait even ignores the signal. */
  hangAfterChunks?: number;
  ignoreAbort?: boolean;
  /** The probability the model gave each token of the script, in order: chunks carry theirs (text mode: not with charsPerChunk). */
  probabilities?: readonly number[];
}

/** Turns a script into the tokens a model would write (default: the reference byte-level tokenizer). */
export type ScriptTokenizer = (script: string) => ReferenceToken[];

export interface ScriptedEngineOptions {
  /** 'token': chunks carry token ids; 'text': literal text only (OpenAI-compatible). */
  mode: 'token' | 'text';
  /** Another model's tokens (e.g. a real Qwen3 tokenizer); default `encodeScript` (reference, `</s>` = EOS). */
  tokenizer?: ScriptTokenizer;
  /** Ids that end the output (finish 'eos', reported as the chunk's single id in token mode); default the reference EOS. */
  endOfTurnIds?: readonly number[];
  /** Tokens per chunk (default 1); token mode then also sends tokenTexts. */
  tokensPerChunk?: number;
  /** Text mode only: cut the text every N characters instead (markers may be split across chunks). */
  charsPerChunk?: number;
}

/**
 * TEST DOUBLE, for unit tests only. Replays one scripted output per
 * generate() call, in order, and records every request and signal it got, so
 * tests can check what each model was shown. Honours maxTokens (finish
 * 'length') and the abort signal; ignores stop strings and banned tokens.
 */
export class ScriptedEngine implements Engine {
  readonly requests: EngineRequest[] = [];
  readonly signals: AbortSignal[] = [];
  started = false;
  closeCount = 0;
  readonly released: string[] = [];
  private readonly outputs: ScriptedOutput[];

  constructor(
    outputs: ReadonlyArray<string | ScriptedOutput>,
    private readonly options: ScriptedEngineOptions = { mode: 'token' },
  ) {
    this.outputs = outputs.map((o) => (typeof o === 'string' ? { text: o } : o));
  }

  async start(): Promise<void> {
    this.started = true;
  }

  async close(): Promise<void> {
    this.closeCount += 1;
  }

  /** Records the sequence ids the host released. */
  release(sequenceId: string): void {
    this.released.push(sequenceId);
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    const index = this.requests.length;
    this.requests.push(structuredClone(request));
    this.signals.push(signal);
    const output = this.outputs[index];
    if (output === undefined) throw new Error(`ScriptedEngine: no scripted output for call #${index}`);
    return this.replay(output, request.maxTokens, signal);
  }

  private async *replay(output: ScriptedOutput, maxTokens: number, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const tokenize = this.options.tokenizer ?? encodeScript;
    const endOfTurn = this.options.endOfTurnIds ?? [BYTE_LEVEL_TOKEN_IDS.EOS];
    const cut = cutScript(tokenize(output.text), endOfTurn, maxTokens, output.finish);
    const { tokens, finish } = cut;
    // A scripted finish 'eos' (no end-of-turn id in the script) reports the first one.
    const eosId = cut.eosId ?? endOfTurn[0];
    const chunks = this.options.mode === 'token' ? tokenChunks(tokens, this.options.tokensPerChunk ?? 1, output.probabilities) : this.textChunks(tokens, output.probabilities);
    for (let i = 0; i < chunks.length; i += 1) {
      if (output.failAfterChunks === i) throw output.error ?? new Error('scripted engine failure');
      if (output.hangAfterChunks === i) await hang(signal, output.ignoreAbort === true);
      await Promise.resolve();
      if (signal.aborted) return;
      yield chunks[i];
    }
    if (output.failAfterChunks !== undefined && output.failAfterChunks >= chunks.length) {
      throw output.error ?? new Error('scripted engine failure');
    }
    if (signal.aborted || finish === undefined) return;
    yield finish === 'eos' && eosId !== undefined && this.options.mode === 'token'
      ? { tokens: [eosId], text: '', finish }
      : { tokens: [], text: '', finish };
  }

  private textChunks(tokens: ReferenceToken[], probabilities: readonly number[] | undefined): EngineChunk[] {
    const chars = this.options.charsPerChunk;
    if (chars === undefined) {
      const size = this.options.tokensPerChunk ?? 1;
      return groups(tokens, size).map((g, i) => ({
        tokens: [],
        text: g.map((t) => t.text).join(''),
        tokenCount: g.length,
        ...(probabilities === undefined ? {} : { probabilities: probabilities.slice(i * size, i * size + g.length) }),
      }));
    }
    // Character cuts: a token counts in the chunk where its text ends.
    const text = tokens.map((t) => t.text).join('');
    const chunkCount = Math.max(1, Math.ceil(text.length / chars));
    const counts = new Array<number>(chunkCount).fill(0);
    let end = 0;
    for (const token of tokens) {
      end += token.text.length;
      counts[Math.max(0, Math.ceil(end / chars) - 1)] += 1;
    }
    const chunks: EngineChunk[] = counts.map((tokenCount, i) => ({ tokens: [], text: text.slice(i * chars, (i + 1) * chars), tokenCount }));
    if (tokens.length === 0) chunks.length = 0;
    return chunks;
  }
}

/** The tokens to emit (before the first end-of-turn id, at most maxTokens), the finish to report and the id that ended it. */
function cutScript(
  all: ReferenceToken[],
  endOfTurnIds: readonly number[],
  maxTokens: number,
  scriptedFinish: EngineFinish | undefined,
): { tokens: ReferenceToken[]; finish: EngineFinish | undefined; eosId?: number } {
  const eosAt = all.findIndex((t) => endOfTurnIds.includes(t.id));
  const body = eosAt === -1 ? all : all.slice(0, eosAt);
  if (body.length > maxTokens) return { tokens: body.slice(0, maxTokens), finish: 'length' };
  return eosAt === -1 ? { tokens: body, finish: scriptedFinish } : { tokens: body, finish: 'eos', eosId: all[eosAt].id };
}

function groups<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

function tokenChunks(tokens: ReferenceToken[], size: number, probabilities: readonly number[] | undefined): EngineChunk[] {
  return groups(tokens, size).map((g, i) => ({
    tokens: g.map((t) => t.id),
    text: g.map((t) => t.text).join(''),
    ...(g.length > 1 ? { tokenTexts: g.map((t) => t.text) } : {}),
    ...(probabilities === undefined ? {} : { probabilities: probabilities.slice(i * size, i * size + g.length) }),
  }));
}

function hang(signal: AbortSignal, ignoreAbort: boolean): Promise<void> {
  return new Promise((resolve) => {
    if (!ignoreAbort) signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
