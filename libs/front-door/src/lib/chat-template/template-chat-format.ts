import { Template } from '@huggingface/jinja';
import {
  InvalidArgumentReason,
  RelayError,
  type ChatFormat,
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
    const marked = this.render(CONTENT_MARK);
    const at = marked.indexOf(CONTENT_MARK);
    const once = at >= 0 && marked.indexOf(CONTENT_MARK, at + 1) < 0;
    if (!once || tokenizer === undefined) return;
    const before = marked.slice(0, at);
    const after = marked.slice(at + CONTENT_MARK.length);
    this.around = { before, after, beforeIds: tokenizer.tokenize(before, true), afterIds: tokenizer.tokenize(after, true) };
  }

  frame(question: string): FramedPrompt {
    const text = this.render(question);
    if (this.tokenizer === undefined) return { text };
    return { text, tokens: this.tokenize(text, this.tokenizer) };
  }

  private tokenize(text: string, tokenizer: ModelTokenizer): number[] {
    const around = this.around;
    const split =
      around !== undefined && text.length >= around.before.length + around.after.length && text.startsWith(around.before) && text.endsWith(around.after);
    const ids = split
      ? [...around.beforeIds, ...tokenizer.tokenize(text.slice(around.before.length, text.length - around.after.length), false), ...around.afterIds]
      : tokenizer.tokenize(text, true);
    const bos = tokenizer.bosToPrepend;
    return bos !== undefined && ids[0] !== bos ? [bos, ...ids] : ids;
  }

  private render(question: string): string {
    try {
      return this.template.render({
        ...TEMPLATE_VARIABLES,
        messages: [{ role: 'user', content: question }],
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
