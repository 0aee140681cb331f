import {
  BYTE_LEVEL_TOKEN_IDS,
  CALL_CLOSE_TEXT,
  CALL_OPEN_TEXT,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';

/** The byte-level command ids the eval policies inject, ban and strip; the barrel re-exports only what engine-wrappers re-exports. */

export const CALL = BYTE_LEVEL_TOKEN_IDS.CALL;
export const END_CALL = BYTE_LEVEL_TOKEN_IDS.END_CALL;
const COMMAND_IDS = [CALL, END_CALL] as const;
export const DIGIT_ZERO = 0x30;

/** A chunk that may carry full next-token distributions (LlamaCppEngine with probabilities: 'full'). */
export type ChunkWithDistributions = EngineChunk & { distributions?: readonly ArrayLike<number>[] };

/** One id of a chunk as its own chunk (text, probability and distribution kept). */
export function splitChunk(chunk: ChunkWithDistributions): ChunkWithDistributions[] {
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

export function withCommandsBanned(request: EngineRequest): EngineRequest {
  return { ...request, bannedTokens: [...new Set([...request.bannedTokens, ...COMMAND_IDS])] };
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

/** Ids without their command spans (a `<call>` id through the next `</call>` id) and stray `</call>` ids. */
function stripCommandIds(ids: readonly number[]): number[] {
  const kept: number[] = [];
  let inSpan = false;
  for (const id of ids) {
    if (id === CALL) inSpan = true;
    else if (id === END_CALL) inSpan = false;
    else if (!inSpan) kept.push(id);
  }
  return kept;
}

/**
 * The request with every command span removed from its context (ids, and
 * the text rebuilt from them). Under the uncertainty policy the SLM's own
 * commands are banned and typed text never yields command ids, so every span
 * is an injected one; under relay --hide-commands the SLM's own go. Append
 * offsets move with the removed ids, so a kept KV cache (which holds the
 * stripped context) is still reused. Text-only contexts pass as they are:
 * both need an id engine.
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
