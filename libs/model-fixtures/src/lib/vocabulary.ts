import { readFileSync } from 'fs';
import { CHAT_FORMAT_FAMILIES, chatTemplateOf, tokenizerFiles, type FixtureFamily } from './families';
import { gguf, type GgufMetadataEntry } from './gguf/gguf-types';

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export const TokenType = { NORMAL: 1, CONTROL: 3 } as const;

/** The command markers a "text mode" family must NOT have as single tokens. */
export const COMMAND_MARKERS = ['<call>', '</call>'] as const;

/** The parts of a Hugging Face tokenizer.json that a GGUF vocabulary needs. */
interface TokenizerJson {
  readonly model: { readonly type: string; readonly vocab: Record<string, number>; readonly merges: readonly (string | readonly [string, string])[] };
  readonly added_tokens: readonly { readonly id: number; readonly content: string; readonly special: boolean }[];
}

/** A family's full vocabulary, in the form llama.cpp's "gpt2" (byte-level BPE) tokenizer loads. */
export interface FamilyVocabulary {
  readonly family: FixtureFamily;
  /** Token strings by id (byte-level form: space is "Ġ"). */
  readonly tokens: readonly string[];
  readonly tokenTypes: Int32Array;
  /** "left right" pairs, in priority order. */
  readonly merges: readonly string[];
  readonly chatTemplate: string;
  /** id of a token string, e.g. "<|im_end|>". */
  readonly idOf: (token: string) => number;
}

export function loadFamilyVocabulary(family: FixtureFamily): FamilyVocabulary {
  const files = tokenizerFiles(family);
  const json = JSON.parse(readFileSync(files.tokenizerJson, 'utf8')) as TokenizerJson;
  if (json.model.type !== 'BPE') throw new Error(`${files.tokenizerJson}: model.type is ${json.model.type}, expected BPE`);

  const size = Math.max(...json.added_tokens.map((t) => t.id), Object.keys(json.model.vocab).length - 1) + 1;
  const tokens = new Array<string | undefined>(size);
  const tokenTypes = new Int32Array(size).fill(TokenType.NORMAL);
  for (const [token, id] of Object.entries(json.model.vocab)) tokens[id] = token;
  // Every added token, special or not (Qwen3's <think> is not), is CONTROL: a user's typed
  // "<|im_end|>" then stays text with parse_special off, and templates still produce it.
  for (const added of json.added_tokens) {
    tokens[added.id] = added.content;
    tokenTypes[added.id] = TokenType.CONTROL;
  }
  const missing = tokens.findIndex((t) => t === undefined);
  if (missing >= 0) throw new Error(`${files.tokenizerJson}: no token has id ${missing} (ids must be 0..${size - 1})`);
  const ids = new Map((tokens as string[]).map((t, id) => [t, id]));
  for (const marker of COMMAND_MARKERS) {
    if (ids.has(marker)) throw new Error(`${files.tokenizerJson}: ${marker} is a single token; the fixtures need it written as text`);
  }
  return {
    family,
    tokens: tokens as string[],
    tokenTypes,
    merges: json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`)),
    chatTemplate: chatTemplateOf(family),
    idOf: (token) => {
      const id = ids.get(token);
      if (id === undefined) throw new Error(`${CHAT_FORMAT_FAMILIES[family].displayName} vocabulary has no token ${JSON.stringify(token)}`);
      return id;
    },
  };
}

/** The `tokenizer.*` GGUF keys of a family, as llama.cpp's converter writes them. */
export function tokenizerMetadata(vocabulary: FamilyVocabulary): GgufMetadataEntry[] {
  const family = CHAT_FORMAT_FAMILIES[vocabulary.family];
  const entries: GgufMetadataEntry[] = [
    ['tokenizer.ggml.model', gguf.string('gpt2')],
    ['tokenizer.ggml.pre', gguf.string(family.pre)],
    ['tokenizer.ggml.tokens', gguf.strings(vocabulary.tokens)],
    ['tokenizer.ggml.token_type', gguf.i32s(vocabulary.tokenTypes)],
    ['tokenizer.ggml.merges', gguf.strings(vocabulary.merges)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(vocabulary.idOf(family.bosToken))],
    ['tokenizer.ggml.eos_token_id', gguf.u32(vocabulary.idOf(family.endOfTurnToken))],
  ];
  if (family.eotToken !== undefined) entries.push(['tokenizer.ggml.eot_token_id', gguf.u32(vocabulary.idOf(family.eotToken))]);
  if (family.paddingToken !== undefined) {
    entries.push(['tokenizer.ggml.padding_token_id', gguf.u32(vocabulary.idOf(family.paddingToken))]);
  }
  entries.push(
    ['tokenizer.ggml.add_bos_token', gguf.bool(family.addBosToken)],
    ['tokenizer.ggml.add_eos_token', gguf.bool(false)],
    ['tokenizer.chat_template', gguf.string(vocabulary.chatTemplate)],
  );
  return entries;
}
