import {
  BYTE_LEVEL_TOKEN_IDS,
  CALL_CLOSE_TEXT,
  CALL_OPEN_TEXT,
  EngineDecorator,
  FailedPreconditionReason,
  RelayError,
  newContextPart,
  parseSequenceId,
  type Engine,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';

/**
 * Engine decorators that implement the eval policies on top of relay-core's
 * Engine port, without changing relay-core: the relay still parses the SLM's
 * output for `<call>n</call>` and calls the LLM; these wrappers change what
 * the SLM "writes" (a rewritten or injected command) or what it may sample.
 * Token-id engines only (the reference pair's byte-level vocabulary).
 */

const CALL = BYTE_LEVEL_TOKEN_IDS.CALL;
const END_CALL = BYTE_LEVEL_TOKEN_IDS.END_CALL;
const COMMAND_IDS = [CALL, END_CALL] as const;
const DIGIT_ZERO = 0x30;

/** A chunk that may carry full next-token distributions (LlamaCppEngine with probabilities: 'full'). */
type ChunkWithDistributions = EngineChunk & { distributions?: readonly ArrayLike<number>[] };

/** One id of a chunk as its own chunk (text, probability and distribution kept). */
function splitChunk(chunk: ChunkWithDistributions): ChunkWithDistributions[] {
  if (chunk.tokens.length <= 1) return [chunk];
  const parts: ChunkWithDistributions[] = chunk.tokens.map((id, i) => {
    const part: ChunkWithDistributions = { tokens: [id], text: chunk.tokenTexts?.[i] ?? '' };
    const p = chunk.probabilities?.[i];
    if (p !== undefined) part.probabilities = [p];
    const d = chunk.distributions?.[i];
    if (d !== undefined) part.distributions = [d];
    return part;
  });
  const last = parts[parts.length - 1];
  if (last !== undefined && chunk.finish !== undefined) last.finish = chunk.finish;
  return parts;
}

/** `<call>k</call>` as one chunk of byte-level ids. */
export function commandChunk(k: number): EngineChunk {
  const digits = String(k);
  const tokens = [CALL, ...[...digits].map((d) => DIGIT_ZERO + Number(d)), END_CALL];
  const tokenTexts = [CALL_OPEN_TEXT, ...digits, CALL_CLOSE_TEXT];
  return { tokens, text: tokenTexts.join(''), tokenTexts };
}

/** Tokens of the command chunk for k (what an injected call adds to the SLM's count). */
export const commandTokenCount = (k: number): number => String(k).length + 2;

/** teacher-free: the SLM may not sample its command tokens (`<call>`, `</call>`). */
export class BannedCommandsEngine extends EngineDecorator {
  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.inner.generate(withCommandsBanned(request), signal);
  }
}

function withCommandsBanned(request: EngineRequest): EngineRequest {
  return { ...request, bannedTokens: [...new Set([...request.bannedTokens, ...COMMAND_IDS])] };
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

export interface UncertaintyTrigger {
  threshold: number;
  k: number;
  /** true: trigger when entropy (nats) > threshold; false: when the top probability < threshold. */
  entropy: boolean;
  /** Triggers per generation at most (the relay makes at most maxTurns - 1 calls). */
  maxCalls: number;
}

/** Shannon entropy in nats. */
export function entropyOf(distribution: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < distribution.length; i++) {
    const p = distribution[i] ?? 0;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

export function topProbability(distribution: ArrayLike<number>): number {
  let top = 0;
  for (let i = 0; i < distribution.length; i++) top = Math.max(top, distribution[i] ?? 0);
  return top;
}

/**
 * uncertainty: training-free token-level relay. The SLM's own commands are
 * banned; when the distribution an SLM token was sampled from is uncertain
 * (top probability < T, or entropy > T) that token is discarded and
 * `<call>K</call>` injected instead, so the relay has the LLM write the next
 * K tokens. Needs the full next-token distribution per token (LlamaCppEngine
 * `probabilities: 'full'`). Should the relay not grant the call (budget), the
 * discarded token follows the command so the SLM's text is unchanged.
 *
 * The injected commands are the relay's bookkeeping, not the SLM's writing: a
 * training-free SLM (BiLD, FS-GEN) never sees command tokens, so they are
 * removed from the context of every request passed to the SLM (relay-core
 * keeps an SLM's commands in its context, as the protocol wants for a model
 * that wrote them). Left in, they put an SLM that never learned them out of
 * distribution: the reference student of 2026-11-26 fell from 46.7% alone to 44.6% at
 * T = 0.3 although the LLM wrote its uncertain tokens.
 */
export class UncertaintyTriggerEngine extends EngineDecorator {
  private readonly triggers = new Map<string, number>();

  constructor(
    inner: Engine,
    private readonly trigger: UncertaintyTrigger,
  ) {
    super(inner);
  }

  /** Commands injected so far for a generation's SLM sequence. */
  injected(sequenceId: string): number {
    return this.triggers.get(sequenceId) ?? 0;
  }

  /** Forgets a finished generation. */
  forget(sequenceId: string): void {
    this.triggers.delete(sequenceId);
  }

  private uncertain(distribution: ArrayLike<number>): boolean {
    const { threshold, entropy } = this.trigger;
    return entropy ? entropyOf(distribution) > threshold : topProbability(distribution) < threshold;
  }

  async *generate(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const id = request.sequenceId;
    for await (const chunk of this.inner.generate(withoutCommandSpans(withCommandsBanned(request)), signal)) {
      for (const unit of splitChunk(chunk)) {
        const token = unit.tokens[0];
        const isEos = token === BYTE_LEVEL_TOKEN_IDS.EOS;
        if (token !== undefined && !isEos && (this.triggers.get(id) ?? 0) < this.trigger.maxCalls) {
          const distribution = unit.distributions?.[0];
          if (distribution === undefined) {
            throw RelayError.failedPrecondition(
              FailedPreconditionReason.ENGINE_DISTRIBUTIONS_MISSING,
              "the uncertainty policy needs full next-token distributions (LlamaCppEngine probabilities: 'full')",
              { field: 'policy' },
            );
          }
          if (this.uncertain(distribution)) {
            this.triggers.set(id, (this.triggers.get(id) ?? 0) + 1);
            yield commandChunk(this.trigger.k);
          }
        }
        yield unit;
      }
    }
  }
}

const utf8 = new TextDecoder();

/** Byte-level ids as text: bytes as UTF-8, `<call>`/`</call>` literally, other control ids (BOS) as nothing. */
function idsText(ids: readonly number[]): string {
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length > 0) out += utf8.decode(Uint8Array.from(bytes));
    bytes = [];
  };
  for (const id of ids) {
    if (id < 256) {
      bytes.push(id);
      continue;
    }
    flush();
    if (id === CALL) out += CALL_OPEN_TEXT;
    else if (id === END_CALL) out += CALL_CLOSE_TEXT;
  }
  flush();
  return out;
}

/** Ids without any `<call>...</call>` span (a span runs from a `<call>` id to the next `</call>` id). */
function stripCommandIds(ids: readonly number[]): number[] {
  const kept: number[] = [];
  let inCommand = false;
  for (const id of ids) {
    if (id === CALL) inCommand = true;
    else if (id === END_CALL) inCommand = false;
    else if (!inCommand) kept.push(id);
  }
  return kept;
}

/**
 * The request with every command span removed from its context (ids, and the
 * text rebuilt from them). The SLM's own commands are banned under this
 * policy and typed text never yields command ids, so every span is an injected
 * one. Append offsets move with the removed ids, so a kept KV cache (which
 * holds the stripped context) is still reused. Text-only contexts pass as they
 * are: this policy needs an id engine anyway (distributions).
 */
export function withoutCommandSpans(request: EngineRequest): EngineRequest {
  const ids = request.context.tokens;
  if (ids === undefined || !ids.some((id) => id === CALL || id === END_CALL)) return request;
  const tokens = stripCommandIds(ids);
  const stripped: EngineRequest = { ...request, context: { text: idsText(tokens), tokens } };
  if (request.appendOnly && request.appendFrom?.tokens !== undefined) {
    const before = stripCommandIds(ids.slice(0, request.appendFrom.tokens));
    stripped.appendFrom = { text: idsText(before).length, tokens: before.length };
  }
  return stripped;
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
