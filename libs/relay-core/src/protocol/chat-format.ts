import { BYTE_LEVEL_TOKEN_IDS } from './vocabulary';

/**
 * A user's question as the models see it: the text they continue and, when
 * the SLM's tokenizer is known, its token ids (the user's text tokenized as
 * plain text: special-token text the user typed never becomes a special token).
 */
export interface FramedPrompt {
  text: string;
  tokens?: number[];
}

/** A framed prompt whose ids are known. */
export interface TokenizedPrompt extends FramedPrompt {
  tokens: number[];
}

/**
 * How a user's question becomes the model input. Built once per deployment
 * by the front door (libs/front-door), from the SLM's chat template or, for
 * the reference pair, given as code; every server applies it to each request
 * (gRPC clients and the CLI send the bare question), so the framing can never
 * be applied twice, forgotten by one caller, or differ between deployments.
 */
export interface ChatFormat {
  readonly name: string;
  frame(question: string): FramedPrompt;
}

/** A chat format that always knows the prompt's ids. */
export interface TokenizedChatFormat extends ChatFormat {
  frame(question: string): TokenizedPrompt;
}

const utf8 = new TextEncoder();

/**
 * The reference pair's format (training/, MODEL_CARD "Chat format"):
 * `<s>` + question + `\n`; the answer follows the newline. The vocabulary is
 * byte-level (ids 0..255 = UTF-8 bytes, `<s>` = 256), so the ids are computed
 * here exactly as the tokenizer would, and user text can never produce a
 * control id: a typed `<call>` stays bytes.
 */
export const REFERENCE_CHAT_FORMAT: TokenizedChatFormat = {
  name: 'reference: <s> + question + "\\n"',
  frame(question) {
    const text = `${question}\n`;
    return { text, tokens: [BYTE_LEVEL_TOKEN_IDS.BOS, ...utf8.encode(text)] };
  },
};
