/**
 * The command syntax: the SLM asks the LLM for n tokens by writing
 * `<call>n</call>`. A model whose vocabulary has `<call>` and `</call>` as
 * single control tokens writes them as those ids (token syntax); any other
 * model writes them as ordinary text, several tokens that may arrive split
 * across chunks (text syntax). See model-profile.ts.
 */
export const CALL_OPEN_TEXT = '<call>';
export const CALL_CLOSE_TEXT = '</call>';

/**
 * The reference byte-level tokenizer (training/): ids 0..255 are bytes, then
 * four control tokens. Digits are the ASCII byte ids 48..57.
 */
export const BYTE_LEVEL_TOKEN_IDS = {
  BOS: 256,
  EOS: 257,
  CALL: 258,
  END_CALL: 259,
} as const;
