import type { ChatFormat } from '../protocol/chat-format';
import type { ModelProfile } from '../protocol/model-profile';

/** A model's tokenizer, as the front door needs it to turn a rendered prompt into ids. */
export interface ModelTokenizer {
  /**
   * Ids of `text`; never adds BOS. `special` false: user text, special-token
   * text (`<|im_end|>`, `<call>`) stays ordinary characters. true: such text
   * becomes its special token (a rendered chat template's own markers).
   */
  tokenize(text: string, special: boolean): number[];
  /** The BOS id the model wants in front of a prompt that does not start with it; undefined: none. */
  readonly bosToPrepend: number | undefined;
}

/** A Jinja chat template (Hugging Face convention) and the special-token strings it is rendered with. */
export interface ChatTemplateSource {
  template: string;
  bosToken?: string;
  eosToken?: string;
  /** Where it comes from, for messages: `slm.gguf (tokenizer.chat_template)`, a file path. */
  origin: string;
}

/**
 * How a model frames a question: a chat template the front door renders, or
 * a format given as code (the reference pair's `REFERENCE_CHAT_FORMAT`).
 */
export type ModelChat = { kind: 'template'; source: ChatTemplateSource } | { kind: 'format'; format: ChatFormat };

/** Everything a model says of itself that the relay and the front door use. */
export interface ModelDescription {
  profile: ModelProfile;
  /** undefined: the model ships no chat template (the operator must pass one). */
  chat: ModelChat | undefined;
  /** undefined: a text-only engine (OpenAI-compatible): prompts travel as text only. */
  tokenizer: ModelTokenizer | undefined;
}

/** The two models of a deployment, as the front door is given them. */
export interface RelayModels {
  slm: ModelDescription;
  llm: ModelDescription;
}

/**
 * An engine that can describe the model it serves (llama.cpp: from the GGUF;
 * OpenAI-compatible: from `/v1/models` and the operator's settings). Called
 * after `start()`.
 */
export interface ModelDescriber {
  describe(): Promise<ModelDescription>;
}
