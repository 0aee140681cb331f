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

/** The roles a chat template is given (OpenAI's `developer` is a `system` message to it). */
export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

/** One message of a conversation, as a chat template receives it. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/**
 * The content of the conversation's last user message (undefined when it has
 * none): what a format that frames one question frames, and a conversation
 * request's `prompt`.
 */
export function lastUserContent(messages: readonly ChatMessage[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i -= 1) if (messages[i].role === 'user') return messages[i].content;
  return undefined;
}

/**
 * How a caller's input becomes the model input. Built once per deployment
 * by the front door (libs/front-door), from the SLM's chat template or, for
 * the reference pair, given as code; every server applies it to each request
 * (gRPC clients and the CLI send the bare question), so the framing can never
 * be applied twice, forgotten by one caller, or differ between deployments.
 */
export interface ChatFormat {
  readonly name: string;
  /** One user question (gRPC, the CLI, eval). */
  frame(question: string): FramedPrompt;
  /** A conversation (OpenAI's chat completions); the validated request guarantees a user message. */
  frameMessages(messages: readonly ChatMessage[]): FramedPrompt;
  /**
   * Model input the caller wrote itself, markers included (OpenAI's
   * completions): no template; ids as the SLM's engine tokenizes a text
   * context, so sending the ids or the text gives the model the same input.
   */
  frameRaw(text: string): FramedPrompt;
}

/** A chat format that always knows the prompt's ids. */
export interface TokenizedChatFormat extends ChatFormat {
  frame(question: string): TokenizedPrompt;
  frameMessages(messages: readonly ChatMessage[]): TokenizedPrompt;
  frameRaw(text: string): TokenizedPrompt;
}

const utf8 = new TextEncoder();

/** `<s>` + text as byte-level ids: what the reference engine gives any text context, so a typed `<call>` stays bytes. */
function byteLevelPrompt(text: string): TokenizedPrompt {
  return { text, tokens: [BYTE_LEVEL_TOKEN_IDS.BOS, ...utf8.encode(text)] };
}

/**
 * The reference pair's format (training/, MODEL_CARD "Chat format"):
 * `<s>` + question + `\n`; the answer follows the newline. The vocabulary is
 * byte-level (ids 0..255 = UTF-8 bytes, `<s>` = 256), so the ids are computed
 * here exactly as the tokenizer would, and user text can never produce a
 * control id: a typed `<call>` stays bytes.
 *
 * The pair was trained on single questions only: a conversation is framed as
 * its last user message (system messages and earlier turns are not shown to
 * the models). Raw input is `<s>` + the text as written.
 */
export const REFERENCE_CHAT_FORMAT: TokenizedChatFormat = {
  name: 'reference: <s> + question + "\\n"',
  frame(question) {
    return byteLevelPrompt(`${question}\n`);
  },
  frameMessages(messages) {
    return this.frame(lastUserContent(messages) ?? '');
  },
  frameRaw(text) {
    return byteLevelPrompt(text);
  },
};
