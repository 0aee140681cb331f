import { CALL_CLOSE_TEXT, CALL_OPEN_TEXT } from './vocabulary';

/**
 * The SLM writes its commands as dedicated control tokens: `<call>` and
 * `</call>` are one id each in its vocabulary (the reference pair).
 */
export interface TokenCommandSyntax {
  readonly kind: 'token';
  readonly callId: number;
  readonly endCallId: number;
  /**
   * The ASCII digits a token stands for inside a command ('7'; '42' for a
   * tokenizer with multi-digit number tokens), undefined for any other token.
   */
  digitsOf(tokenId: number): string | undefined;
}

/**
 * The SLM writes its commands as ordinary text (the paper's own setting with a
 * BPE vocabulary): `<call>12</call>` is several tokens, and a token may hold
 * the end of a command and the start of the next text.
 */
export interface TextCommandSyntax {
  readonly kind: 'text';
}

export type CommandSyntax = TokenCommandSyntax | TextCommandSyntax;

/**
 * What the relay needs to know of one model. Built by the adapter that loads
 * or reaches the model (an engine's `describe()`), or given as constants for
 * the reference pair (reference-pair.ts). Pure data, except `digitsOf`.
 */
export interface ModelProfile {
  /** For messages: a file name, a served model id. */
  readonly name: string;
  /**
   * Identity of the token list (id -> token). Two models with the same id may
   * exchange token ids; otherwise only text travels between them.
   */
  readonly vocabularyId: string;
  /** How this model writes commands (only the SLM's is read; the LLM's says which ids to ban). */
  readonly commandSyntax: CommandSyntax;
  /**
   * Ids that end this model's turn: EOS and end-of-turn tokens (`<|im_end|>`,
   * `<|eot_id|>`). The SLM's end its turn (the generation ends), the LLM's end
   * the generation when written inside a call. Never counted, never in a view.
   */
  readonly endOfTurnIds: readonly number[];
  /** The context window the model is served with, in tokens. */
  readonly contextLength: number;
}

/** The two models of a relay, and whether token ids may travel between them. */
export interface RelayPairProfile {
  readonly slm: ModelProfile;
  readonly llm: ModelProfile;
  /** Same vocabularyId: the LLM's view may carry the SLM's ids and the SLM's view the LLM's. */
  readonly idsTravel: boolean;
}

export function pairProfile(slm: ModelProfile, llm: ModelProfile): RelayPairProfile {
  return { slm, llm, idsTravel: slm.vocabularyId === llm.vocabularyId };
}

/** Command ids a model could write (none in text syntax): banned for the LLM, refused in prompt ids. */
export function commandTokenIds(syntax: CommandSyntax): readonly number[] {
  return syntax.kind === 'token' ? [syntax.callId, syntax.endCallId] : [];
}

/** The tokenizer's answer for the two command markers, as `detectCommandSyntax` needs it. */
export interface CommandSyntaxProbe {
  /** `<call>` tokenized with special tokens parsed. */
  callIds: readonly number[];
  /** `</call>` tokenized with special tokens parsed. */
  endCallIds: readonly number[];
  /** See TokenCommandSyntax.digitsOf; used only when the markers are single tokens. */
  digitsOf(tokenId: number): string | undefined;
}

/** The strings a probe tokenizes (the adapter asks its tokenizer for these two). */
export const COMMAND_MARKERS = [CALL_OPEN_TEXT, CALL_CLOSE_TEXT] as const;

/**
 * Token syntax when `<call>` and `</call>` are each one (distinct) token of
 * the vocabulary, text syntax otherwise.
 */
export function detectCommandSyntax(probe: CommandSyntaxProbe): CommandSyntax {
  const { callIds, endCallIds, digitsOf } = probe;
  if (callIds.length !== 1 || endCallIds.length !== 1 || callIds[0] === endCallIds[0]) return { kind: 'text' };
  return { kind: 'token', callId: callIds[0], endCallId: endCallIds[0], digitsOf };
}
