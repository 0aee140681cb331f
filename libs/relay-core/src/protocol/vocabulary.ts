/**
 * The command syntax: the SLM asks the LLM for n tokens by writing
 * `<call>n</call>`. Engines with a tokenizer emit `<call>` and `</call>` as
 * dedicated control tokens; text-only engines emit them as literal text.
 */
export const CALL_OPEN_TEXT = '<call>';
export const CALL_CLOSE_TEXT = '</call>';

/** How the token-level command parser recognises commands in a given tokenizer. */
export interface TokenVocabulary {
  /** Id of the `<call>` control token. */
  readonly callId: number;
  /** Id of the `</call>` control token. */
  readonly endCallId: number;
  /** Id of the end-of-sequence token. */
  readonly eosId: number;
  /** The decimal digit (0-9) a token stands for, or undefined when it is not a single digit. */
  digitValue(tokenId: number): number | undefined;
}

/**
 * The reference byte-level tokenizer: ids 0..255 are bytes, then four control
 * tokens. Digits are the ASCII byte ids 48..57.
 */
export const BYTE_LEVEL_TOKEN_IDS = {
  BOS: 256,
  EOS: 257,
  CALL: 258,
  END_CALL: 259,
} as const;

const ASCII_ZERO = 0x30;
const ASCII_NINE = 0x39;

export const BYTE_LEVEL_VOCABULARY: TokenVocabulary = {
  callId: BYTE_LEVEL_TOKEN_IDS.CALL,
  endCallId: BYTE_LEVEL_TOKEN_IDS.END_CALL,
  eosId: BYTE_LEVEL_TOKEN_IDS.EOS,
  digitValue: (tokenId) => (tokenId >= ASCII_ZERO && tokenId <= ASCII_NINE ? tokenId - ASCII_ZERO : undefined),
};

/** Ids that must never reach the LLM's context nor be sampled by it. */
export function commandTokenIds(vocabulary: TokenVocabulary): readonly number[] {
  return [vocabulary.callId, vocabulary.endCallId];
}
