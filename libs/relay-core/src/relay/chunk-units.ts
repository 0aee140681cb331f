import { RelayError } from '../errors/relay-error';
import type { EngineChunk } from '../ports/engine';
import { InternalReason } from '../errors/reasons';

/** One generated token with its text. */
export interface TokenUnit {
  id: number;
  text: string;
}

/** Whether the chunk reports token ids (token mode) or only text (text mode); undefined for an empty chunk. */
export function chunkMode(chunk: EngineChunk): 'token' | 'text' | undefined {
  if (chunk.tokens.length > 0) return 'token';
  return chunk.text === '' && (chunk.tokenCount ?? 0) === 0 ? undefined : 'text';
}

/**
 * Splits a token-mode chunk into per-token units. The relay must cut text
 * exactly at command boundaries, so a chunk with several ids has to say which
 * text belongs to which id (EngineChunk.tokenTexts).
 */
export function tokenUnits(chunk: EngineChunk, role: string): TokenUnit[] {
  const { tokens, tokenTexts } = chunk;
  if (tokens.length === 1) return [{ id: tokens[0], text: tokenTexts?.[0] ?? chunk.text }];
  if (tokenTexts === undefined || tokenTexts.length !== tokens.length) {
    throw RelayError.internal(InternalReason.ENGINE_PROTOCOL,
      `${role} engine sent a chunk of ${tokens.length} token ids without one tokenTexts entry per id`,
    );
  }
  return tokens.map((id, i) => ({ id, text: tokenTexts[i] }));
}
