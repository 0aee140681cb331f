import { BOS } from '@relayllm/llama-cpp';

/** A user's question as the models see it: the text they continue, and its token ids. */
export interface FramedPrompt {
  text: string;
  tokens: number[];
}

/**
 * How a user's question becomes the model input. This is THE place the
 * framing lives: the server applies it to every request (gRPC clients and the
 * CLI send the bare question), so the framing can never be applied twice or
 * forgotten by one caller.
 */
export interface ChatFormat {
  readonly name: string;
  frame(question: string): FramedPrompt;
}

/**
 * The reference pair's format (training/, MODEL_CARD "Chat format"):
 * `<s>` + question + `\n`; the answer follows the newline. The vocabulary is
 * byte-level (ids 0..255 = UTF-8 bytes, `<s>` = 256), so the ids are computed
 * here exactly as the tokenizer would, and user text can never produce a
 * control id: a typed `<call>` stays bytes.
 */
export const REFERENCE_CHAT_FORMAT: ChatFormat = {
  name: 'reference: <s> + question + "\\n"',
  frame(question) {
    const text = `${question}\n`;
    return { text, tokens: [BOS, ...Buffer.from(text, 'utf8')] };
  },
};
