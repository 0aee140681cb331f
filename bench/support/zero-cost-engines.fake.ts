import { BYTE_LEVEL_TOKEN_IDS, type Engine, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';

export interface ZeroCostSlmScript {
  /** Text tokens before each command (>= the worker's flushTokens, so a frame leaves at once after a call). */
  gap: number;
  /** n of every command. */
  n: number;
  /** Commands per generation (the relay grants at most maxTurns - 1; default maxTurns 5 → 4). */
  calls: number;
  /** Text tokens after the last call, before EOS. */
  tail: number;
}

const FILLER = { id: 97, text: 'a' };
const END_CALL_TEXT = '</call>';

function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + needle.length)) count++;
  return count;
}

/**
 * TEST DOUBLE. An SLM that costs nothing: per turn it writes `gap` filler
 * tokens then `<call>n</call>`, and after `calls` commands `tail` tokens and
 * EOS. Stateless: the turn is the number of `</call>` in the context (the
 * SLM's view keeps its commands), so it works behind the gRPC worker, which
 * hands the engine the whole context of every turn. One token per chunk, as
 * a decoding model yields them; honours maxTokens and the abort signal.
 */
export class ZeroCostSlmEngine implements Engine {
  constructor(private readonly script: ZeroCostSlmScript) {}

  async start(): Promise<void> {
    // nothing to load
  }

  async close(): Promise<void> {
    // nothing to free
  }

  release(): void {
    // keeps nothing per sequence
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.run(request, signal);
  }

  private turnTokens(context: string): { id: number; text: string }[] {
    const { gap, n, calls, tail } = this.script;
    const done = countOccurrences(context, END_CALL_TEXT);
    const tokens = Array.from({ length: done < calls ? gap : tail }, () => FILLER);
    if (done >= calls) return [...tokens, { id: BYTE_LEVEL_TOKEN_IDS.EOS, text: '' }];
    return [
      ...tokens,
      { id: BYTE_LEVEL_TOKEN_IDS.CALL, text: '<call>' },
      ...[...String(n)].map((digit) => ({ id: digit.charCodeAt(0), text: digit })),
      { id: BYTE_LEVEL_TOKEN_IDS.END_CALL, text: END_CALL_TEXT },
    ];
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const tokens = this.turnTokens(request.context.text);
    for (let i = 0; i < tokens.length; i++) {
      if (signal.aborted) {
        yield { tokens: [], text: '', finish: 'abort' };
        return;
      }
      const token = tokens[i] as { id: number; text: string };
      const finish = token.id === BYTE_LEVEL_TOKEN_IDS.EOS ? 'eos' : i + 1 >= request.maxTokens ? 'length' : undefined;
      yield { tokens: [token.id], text: token.text, ...(finish === undefined ? {} : { finish }) };
      if (finish !== undefined) return;
    }
    // After `</call>` the worker pauses and the relay aborts: nothing more to write this turn.
    yield { tokens: [], text: '', finish: 'stop' };
  }
}

/** TEST DOUBLE. An LLM that costs nothing: writes the granted n tokens ('x') at once, one per chunk. */
export class ZeroCostLlmEngine implements Engine {
  /** Told when a generate starts (the benchmark's "engine start" mark). */
  onGenerate: ((request: EngineRequest) => void) | undefined;

  async start(): Promise<void> {
    // nothing to load
  }

  async close(): Promise<void> {
    // nothing to free
  }

  release(): void {
    // keeps nothing per sequence
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    this.onGenerate?.(request);
    return this.run(request, signal);
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    for (let written = 1; written <= request.maxTokens; written++) {
      if (signal.aborted) {
        yield { tokens: [], text: '', finish: 'abort' };
        return;
      }
      yield { tokens: [120], text: 'x', ...(written === request.maxTokens ? { finish: 'length' as const } : {}) };
    }
  }
}
