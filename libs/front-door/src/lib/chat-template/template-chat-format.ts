import { Template } from '@huggingface/jinja';
import {
  InvalidArgumentReason,
  RelayError,
  type ChatFormat,
  type ChatMessage,
  type ChatTemplateSource,
  type FramedPrompt,
  type ModelTokenizer,
} from '@relayllm/relay-core';

/**
 * Variables every template is rendered with, besides `messages`,
 * `add_generation_prompt` and the special-token strings. `enable_thinking:
 * false` (Qwen3): the relay's answer is the visible answer; with thinking on,
 * the student would first write a `<think>` block the teacher never saw in
 * relay training. Templates that do not know a variable ignore it.
 */
export const TEMPLATE_VARIABLES: Readonly<Record<string, unknown>> = { enable_thinking: false };

/** Stands for the question when the template is rendered once at start, to find where user text goes. */
const CONTENT_MARK = 'RELAYLLM7F3A0C1ECONTENT';

/** The mark of the i-th message's content (the `X` ends it: mark 1 is not a prefix of mark 10). */
const contentMark = (i: number): string => `${CONTENT_MARK}${i}X`;

/**
 * A chat format from a Jinja chat template (Hugging Face convention), rendered
 * with @huggingface/jinja for one user message and the generation prompt.
 *
 * Ids (when the SLM's tokenizer is known): the template's own text is
 * tokenized with special tokens parsed (its `<|im_start|>` are single
 * tokens), the question as plain text, so special-token text a user types
 * (`<|im_end|>`, `<call>`) stays ordinary characters. Where the question goes
 * is found by rendering the template once with a marker in its place; if the
 * rendered question is not between the same two pieces (a template that
 * rewrites user text), the whole prompt is tokenized with special tokens
 * parsed, which is what an OpenAI-compatible server does with any prompt.
 * The template's BOS is kept as rendered; the tokenizer's `bosToPrepend` is
 * added when the prompt does not start with it.
 *
 * A conversation is rendered whole, every content tokenized as plain text the
 * same way (its place found by rendering once more with a mark per content);
 * raw input is tokenized with special tokens parsed, as the SLM's engine
 * tokenizes a text context of a model with a chat template.
 */
export class TemplateChatFormat implements ChatFormat {
  readonly name: string;
  private readonly template: Template;
  /** The template's text before and after the question, with their ids (computed once). */
  private readonly around: { before: string; after: string; beforeIds: number[]; afterIds: number[] } | undefined;

  /** Parses the template and renders it once: a template that fails is a CHAT_TEMPLATE_INVALID naming the model. */
  constructor(
    private readonly source: ChatTemplateSource,
    private readonly modelName: string,
    private readonly tokenizer: ModelTokenizer | undefined,
  ) {
    this.name = `chat template of ${modelName} (${source.origin})`;
    try {
      this.template = new Template(source.template);
    } catch (error) {
      throw this.invalid('does not parse', error);
    }
    const marked = this.render([{ role: 'user', content: CONTENT_MARK }]);
    const at = marked.indexOf(CONTENT_MARK);
    const once = at >= 0 && marked.indexOf(CONTENT_MARK, at + 1) < 0;
    if (!once || tokenizer === undefined) return;
    const before = marked.slice(0, at);
    const after = marked.slice(at + CONTENT_MARK.length);
    this.around = { before, after, beforeIds: tokenizer.tokenize(before, true), afterIds: tokenizer.tokenize(after, true) };
  }

  frame(question: string): FramedPrompt {
    const text = this.render([{ role: 'user', content: question }]);
    if (this.tokenizer === undefined) return { text };
    return { text, tokens: this.withBos(this.tokenizeQuestion(text, this.tokenizer), this.tokenizer) };
  }

  frameMessages(messages: readonly ChatMessage[]): FramedPrompt {
    const text = this.render(messages);
    if (this.tokenizer === undefined) return { text };
    return { text, tokens: this.withBos(this.tokenizeConversation(messages, text, this.tokenizer), this.tokenizer) };
  }

  frameRaw(text: string): FramedPrompt {
    if (this.tokenizer === undefined) return { text };
    return { text, tokens: this.withBos(this.tokenizer.tokenize(text, true), this.tokenizer) };
  }

  private tokenizeQuestion(text: string, tokenizer: ModelTokenizer): number[] {
    const around = this.around;
    const split =
      around !== undefined && text.length >= around.before.length + around.after.length && text.startsWith(around.before) && text.endsWith(around.after);
    return split
      ? [...around.beforeIds, ...tokenizer.tokenize(text.slice(around.before.length, text.length - around.after.length), false), ...around.afterIds]
      : tokenizer.tokenize(text, true);
  }

  /**
   * The template's pieces with special tokens parsed, contents as plain text
   * (as the template placed them: as given, or trimmed like Llama 3.1's);
   * the whole text with special tokens parsed when a content is not found
   * between its two pieces.
   */
  private tokenizeConversation(messages: readonly ChatMessage[], text: string, tokenizer: ModelTokenizer): number[] {
    const pieces = this.templatePieces(messages);
    const placed = pieces === undefined ? undefined : placedContents(text, pieces, messages);
    if (pieces === undefined || placed === undefined) return tokenizer.tokenize(text, true);
    return pieces.flatMap((piece, i) => [...tokenizer.tokenize(piece, true), ...(i < placed.length ? tokenizer.tokenize(placed[i], false) : [])]);
  }

  /** The rendered conversation's text around each content (contents.length + 1 pieces), or undefined when a mark is dropped or repeated. */
  private templatePieces(messages: readonly ChatMessage[]): string[] | undefined {
    const marked = this.render(messages.map((message, i) => ({ role: message.role, content: contentMark(i) })));
    const pieces: string[] = [];
    let from = 0;
    for (let i = 0; i < messages.length; i += 1) {
      const mark = contentMark(i);
      const at = marked.indexOf(mark, from);
      if (at < 0 || marked.includes(mark, at + mark.length)) return undefined;
      pieces.push(marked.slice(from, at));
      from = at + mark.length;
    }
    pieces.push(marked.slice(from));
    return pieces;
  }

  private withBos(ids: number[], tokenizer: ModelTokenizer): number[] {
    const bos = tokenizer.bosToPrepend;
    return bos !== undefined && ids[0] !== bos ? [bos, ...ids] : ids;
  }

  private render(messages: readonly ChatMessage[]): string {
    try {
      return this.template.render({
        ...TEMPLATE_VARIABLES,
        messages: messages.map((message) => ({ role: message.role, content: message.content })),
        add_generation_prompt: true,
        bos_token: this.source.bosToken ?? '',
        eos_token: this.source.eosToken ?? '',
      });
    } catch (error) {
      throw this.invalid('does not render a user message', error);
    }
  }

  private invalid(what: string, cause: unknown): RelayError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return RelayError.invalidArgument(
      InvalidArgumentReason.CHAT_TEMPLATE_INVALID,
      `model "${this.modelName}": the chat template from ${this.source.origin} ${what}: ${detail}`,
      'chatTemplate',
    );
  }
}

/**
 * Each message's content as it appears in `text` between the template's
 * pieces (the content, or the content trimmed), or undefined when `text` is
 * not pieces and contents in turn.
 */
function placedContents(text: string, pieces: readonly string[], messages: readonly ChatMessage[]): string[] | undefined {
  if (!text.startsWith(pieces[0])) return undefined;
  let at = pieces[0].length;
  const placed: string[] = [];
  for (let i = 0; i < messages.length; i += 1) {
    const next = pieces[i + 1];
    const content = [messages[i].content, messages[i].content.trim()].find((candidate) => text.startsWith(candidate + next, at));
    if (content === undefined) return undefined;
    placed.push(content);
    at += content.length + next.length;
  }
  return at === text.length ? placed : undefined;
}
