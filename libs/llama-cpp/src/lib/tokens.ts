import { BYTE_LEVEL_TOKEN_IDS } from '@relayllm/relay-core';
import type { LlamaModel, Token } from './types';

/**
 * The reference tokenizer (written by training/'s GGUF exporter): ids 0..255 are raw
 * bytes, then the four control tokens relay-core defines (its byte-level vocabulary).
 */
export const BOS = BYTE_LEVEL_TOKEN_IDS.BOS;
export const EOS = BYTE_LEVEL_TOKEN_IDS.EOS;
export const CALL_OPEN = BYTE_LEVEL_TOKEN_IDS.CALL;
export const CALL_CLOSE = BYTE_LEVEL_TOKEN_IDS.END_CALL;
export const VOCAB_SIZE = Math.max(...Object.values(BYTE_LEVEL_TOKEN_IDS)) + 1;

/**
 * Prompt ids for user text: `[BOS, ...bytes]`. Special-token text in `text`
 * (e.g. a literal `<call>`) stays plain bytes: `tokenize(text, false)`.
 * node-llama-cpp never adds BOS itself here, so it is prepended explicitly.
 */
export function promptTokens(model: LlamaModel, text: string): Token[] {
  return [BOS as Token, ...model.tokenize(text, false)];
}

/** Number of token ids of the model (from GGUF `tokenizer.ggml.tokens`). */
export function vocabSize(model: LlamaModel): number {
  const tokens = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
  return Array.isArray(tokens) && tokens.length > 0 ? tokens.length : VOCAB_SIZE;
}
