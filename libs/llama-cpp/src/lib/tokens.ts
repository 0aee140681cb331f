import type { LlamaModel, Token } from './types';

/**
 * The RelayLLM tokenizer (written by training/'s GGUF exporter): ids 0..255 are raw
 * bytes, then four CONTROL tokens. Vocabulary size 260.
 */
export const BOS = 256;
export const EOS = 257;
export const CALL_OPEN = 258;
export const CALL_CLOSE = 259;
export const VOCAB_SIZE = 260;

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
