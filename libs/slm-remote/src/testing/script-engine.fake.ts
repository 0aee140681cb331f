import type { Engine, EngineChunk, EngineRequest } from '@relayllm/relay-core';
import { encodeScript, type ReferenceToken } from '@relayllm/relay-core/testing';

export interface ScriptEngineOptions {
  /** The context every generate starts from (a generate may continue from the prompt plus a prefix of the script). */
  prompt: string;
  /** What the "model" writes after the prompt, in script form (`<call>`, `</call>`, `</s>` are control tokens). */
  script: string;
  /** Wait before each token (default 0). */
  delayMs?: number;
  /** After this many tokens of a generate, wait until `release()` is called. */
  holdAfter?: number;
}

/**
 * TEST DOUBLE. A deterministic "model": whatever the context, it continues
 * the script from the position the context has reached (context = prompt +
 * the first k script tokens' text -> it writes token k onwards), one token per
 * chunk, honouring maxTokens, stop tokens and the abort signal. So a generate
 * replayed elsewhere from "prompt + what was already yielded" continues
 * exactly where the first one stopped, as a real model at temperature 0 does.
 */
export class ScriptEngineFake implements Engine {
  readonly requests: EngineRequest[] = [];
  /** Tokens produced (pulled by the caller) so far. */
  produced = 0;
  private busy = 0;
  private readonly tokens: ReferenceToken[];
  private releaseHold: (() => void) | undefined;
  private readonly held = new Promise<void>((resolve) => (this.releaseHold = resolve));

  constructor(private readonly options: ScriptEngineOptions) {
    this.tokens = encodeScript(options.script);
  }

  /** Lets generates waiting at `holdAfter` continue. */
  release(): void {
    this.releaseHold?.();
  }

  busySequences(): number {
    return this.busy;
  }

  async start(): Promise<void> {
    // nothing to load
  }

  async close(): Promise<void> {
    // nothing to free
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    this.requests.push(structuredClone(request));
    return this.run(request, signal);
  }

  /** Index of the first script token not yet in `context`. */
  private position(context: string): number {
    const written = context.slice(this.options.prompt.length);
    let text = '';
    for (let k = 0; k <= this.tokens.length; k += 1) {
      if (text === written) return k;
      if (k < this.tokens.length) text += (this.tokens[k] as ReferenceToken).text;
    }
    throw new Error(`ScriptEngineFake: context does not continue the script: ${JSON.stringify(written)}`);
  }

  private holdUntilReleased(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      void this.held.then(() => resolve());
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    this.busy += 1;
    try {
      let k = this.position(request.context.text);
      for (let n = 1; ; n += 1) {
        if (this.options.delayMs !== undefined && this.options.delayMs > 0) await sleep(this.options.delayMs, signal);
        if (n === (this.options.holdAfter ?? 0) + 1 && this.options.holdAfter !== undefined) await this.holdUntilReleased(signal);
        if (signal.aborted) {
          yield { tokens: [], text: '', finish: 'abort' };
          return;
        }
        const token = this.tokens[k];
        if (token === undefined) {
          yield { tokens: [], text: '', finish: 'eos' };
          return;
        }
        k += 1;
        this.produced += 1;
        const chunk: EngineChunk = { tokens: [token.id], text: token.text, probabilities: [0.5] };
        if (token.id === 257) chunk.finish = 'eos';
        else if (request.stopTokens.includes(token.id)) chunk.finish = 'stop';
        else if (n >= request.maxTokens) chunk.finish = 'length';
        yield chunk;
        if (chunk.finish !== undefined) return;
      }
    } finally {
      this.busy -= 1;
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
