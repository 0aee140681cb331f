import {
  EngineDecorator,
  newContextPart,
  parseSequenceId,
  type Engine,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';
import {
  CALL,
  DIGIT_ZERO,
  END_CALL,
  commandChunk,
  commandTokenCount,
  splitChunk,
  withCommandsBanned,
  withoutCommandSpans,
  type ChunkWithDistributions,
} from './command-ids';

/**
 * Engine decorators that implement the eval policies on top of relay-core's
 * Engine port, without changing relay-core: the relay still parses the SLM's
 * output for `<call>n</call>` and calls the LLM; these wrappers change what
 * the SLM "writes" (a rewritten or injected command) or what it may sample.
 * Token-id engines only (the reference pair's byte-level vocabulary).
 */

export { commandChunk, commandTokenCount, withoutCommandSpans } from './command-ids';

/** teacher-free: the SLM may not sample its command tokens (`<call>`, `</call>`). */
export class BannedCommandsEngine extends EngineDecorator {
  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.inner.generate(withCommandsBanned(request), signal);
  }
}

/**
 * relay --hide-commands: every request reaches the SLM with its command spans
 * removed from the context. An eval-only diagnostic that measures what the
 * commands in the SLM's own context cost it; the protocol keeps them there
 * (only the LLM's view is command-free), so this never serves.
 */
export class HiddenCommandsEngine extends EngineDecorator {
  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.inner.generate(withoutCommandSpans(request), signal);
  }
}

/**
 * fixed --k K: every well-formed command the SLM writes is rewritten to
 * `<call>K</call>` before the relay reads it (the SLM's own context then
 * holds the rewritten command too). Malformed commands pass through unchanged.
 */
export class FixedGrantEngine extends EngineDecorator {
  constructor(
    inner: Engine,
    private readonly k: number,
  ) {
    super(inner);
  }

  async *generate(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    let held: ChunkWithDistributions[] | undefined;
    for await (const chunk of this.inner.generate(request, signal)) {
      for (const unit of splitChunk(chunk)) {
        const id = unit.tokens[0];
        if (held === undefined) {
          if (id === CALL && unit.finish === undefined) held = [unit];
          else yield unit;
          continue;
        }
        if (id !== undefined && id >= DIGIT_ZERO && id <= DIGIT_ZERO + 9 && unit.finish === undefined) {
          held.push(unit);
        } else if (id === END_CALL && held.length > 1) {
          const command = commandChunk(this.k);
          if (unit.finish !== undefined) command.finish = unit.finish;
          held = undefined;
          yield command;
        } else {
          // not a well-formed command: give it to the relay as written; a `<call>`
          // here (nested) opens the next candidate command, which may be well formed
          yield* held;
          held = undefined;
          if (id === CALL && unit.finish === undefined) held = [unit];
          else yield unit;
        }
      }
    }
    if (held !== undefined) yield* held;
  }
}

/**
 * Counts the tokens the LLM evaluates as new context (relay-core's
 * `newContextPart`: what an append-only engine with a kept KV cache feeds),
 * per generation (sequenceId `<generationId>/llm`).
 */
export class PrefillMeterEngine extends EngineDecorator {
  private readonly counts = new Map<string, number>();

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    const part = newContextPart(request);
    const tokens = part.tokens?.length ?? Buffer.byteLength(part.text, 'utf8');
    const generationId = parseSequenceId(request.sequenceId)?.generationId ?? request.sequenceId;
    this.counts.set(generationId, (this.counts.get(generationId) ?? 0) + tokens);
    return this.inner.generate(request, signal);
  }

  /** The generation's count (0 when the LLM was never called); forgets it. */
  take(generationId: string): number {
    const n = this.counts.get(generationId) ?? 0;
    this.counts.delete(generationId);
    return n;
  }
}

/**
 * Removes injected commands from an item's accounting: relay-core counts the
 * `<call>K</call>` the uncertainty trigger injected as SLM tokens, but the SLM
 * never wrote them. Each injected command's tokens come off `slm_tokens` and
 * `response_tokens`, ρ is recomputed, and call offsets move back by the
 * commands before (and including) each call. Pure; returns new objects.
 */
export function withoutInjectedCommands<T extends { usage: UsageLike; calls: CallLike[] }>(outcome: T, injected: number, k: number): T {
  const per = commandTokenCount(k);
  const slm = Math.max(0, outcome.usage.slm_tokens - injected * per);
  const response = slm + outcome.usage.llm_tokens;
  return {
    ...outcome,
    usage: {
      ...outcome.usage,
      slm_tokens: slm,
      response_tokens: response,
      llm_token_ratio: response === 0 ? 0 : outcome.usage.llm_tokens / response,
      no_call_commands: Math.max(0, outcome.usage.no_call_commands - Math.max(0, injected - outcome.calls.length)),
    },
    calls: outcome.calls.map((c, i) => ({
      ...c,
      response_token_start: Math.max(0, c.response_token_start - (i + 1) * per),
      response_token_end: Math.max(0, c.response_token_end - (i + 1) * per),
    })),
  };
}

interface UsageLike {
  slm_tokens: number;
  llm_tokens: number;
  response_tokens: number;
  llm_token_ratio: number;
  no_call_commands: number;
}
interface CallLike {
  response_token_start: number;
  response_token_end: number;
}
