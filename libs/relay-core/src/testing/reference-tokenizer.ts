import { BYTE_LEVEL_TOKEN_IDS } from '../protocol/vocabulary';

/** A token of the reference byte-level tokenizer with its decoded text. */
export interface ReferenceToken {
  id: number;
  text: string;
}

/** The control tokens' texts (scripts write them this way; `</s>` is EOS). */
export const SCRIPT_MARKERS: ReadonlyArray<[string, number]> = [
  ['<call>', BYTE_LEVEL_TOKEN_IDS.CALL],
  ['</call>', BYTE_LEVEL_TOKEN_IDS.END_CALL],
  ['</s>', BYTE_LEVEL_TOKEN_IDS.EOS],
  ['<s>', BYTE_LEVEL_TOKEN_IDS.BOS],
];

/**
 * Plain text as byte tokens: control markers are NOT recognised (this is how
 * user text must be tokenized). A multi-byte character's text is carried by
 * its last byte, as a streaming detokenizer would release it.
 */
const utf8 = new TextEncoder();

export function encodePlainText(text: string): ReferenceToken[] {
  const tokens: ReferenceToken[] = [];
  for (const ch of text) {
    const bytes = utf8.encode(ch);
    bytes.forEach((byte, i) => tokens.push({ id: byte, text: i === bytes.length - 1 ? ch : '' }));
  }
  return tokens;
}

/**
 * Model output written as a script: `<call>`, `</call>`, `</s>` and `<s>` are
 * the control tokens, everything else is bytes. Used by ScriptedEngine and to
 * count the tokens of conformance transcripts.
 */
export function encodeScript(script: string): ReferenceToken[] {
  const tokens: ReferenceToken[] = [];
  let plainStart = 0;
  let i = 0;
  while (i < script.length) {
    const marker = SCRIPT_MARKERS.find(([text]) => script.startsWith(text, i));
    if (marker === undefined) {
      i += 1;
      continue;
    }
    tokens.push(...encodePlainText(script.slice(plainStart, i)));
    tokens.push({ id: marker[1], text: marker[1] === BYTE_LEVEL_TOKEN_IDS.EOS ? '' : marker[0] });
    i += marker[0].length;
    plainStart = i;
  }
  tokens.push(...encodePlainText(script.slice(plainStart)));
  return tokens;
}

/** Token ids of plain text (for RelayRequest.promptTokens). */
export function plainTextTokenIds(text: string): number[] {
  return encodePlainText(text).map((t) => t.id);
}
