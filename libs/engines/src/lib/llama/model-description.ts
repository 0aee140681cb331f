import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import {
  COMMAND_MARKERS,
  InvalidArgumentReason,
  RelayError,
  detectCommandSyntax,
  type ChatTemplateSource,
  type ModelDescription,
  type ModelTokenizer,
} from '@relayllm/relay-core';
import type { LlamaModel, Token } from '@relayllm/llama-cpp';

/**
 * What a loaded GGUF says of itself, for the relay and the front door:
 * - vocabularyId: sha256 of the token list (`tokenizer.ggml.tokens`), so two
 *   files with the same tokens (Qwen3-1.7B and Qwen3-8B) may exchange ids;
 * - command syntax: token when `<call>` and `</call>` tokenize (specials
 *   parsed) to one token each, else text; in token syntax, the digits of each
 *   all-digit token;
 * - end-of-turn ids: every id llama.cpp calls end-of-generation (EOS, EOT,
 *   `<|im_end|>`, `<|eot_id|>`, ...);
 * - the chat template (`tokenizer.chat_template`) with the BOS / EOS strings;
 * - its tokenizer: `tokenize(text, special)`, and BOS when the model wants it
 *   (`tokenizer.ggml.add_bos_token`).
 */
export function describeLlamaModel(model: LlamaModel, modelPath: string, contextLength: number): ModelDescription {
  const name = basename(modelPath);
  const tokens = tokenList(model, name);
  const tokenize = (text: string, special: boolean): number[] => [...model.tokenize(text, special)];
  const [callIds, endCallIds] = COMMAND_MARKERS.map((marker) => tokenize(marker, true));
  const digits = new Map<number, string>();
  const commandSyntax = detectCommandSyntax({ callIds, endCallIds, digitsOf: (id) => digits.get(id) });
  if (commandSyntax.kind === 'token') {
    // Only read in token syntax: one detokenize per id (the reference pair has 260).
    for (let id = 0; id < tokens.length; id += 1) {
      const text = model.detokenize([id as Token], false);
      if (/^[0-9]+$/.test(text)) digits.set(id, text);
    }
  }
  const endOfTurnIds: number[] = [];
  for (let id = 0; id < tokens.length; id += 1) if (model.isEogToken(id as Token)) endOfTurnIds.push(id);
  const bos = model.tokens.bos;
  const tokenizer: ModelTokenizer = { tokenize, bosToPrepend: model.tokens.shouldPrependBosToken && bos !== null ? bos : undefined };
  return {
    profile: { name, vocabularyId: vocabularyIdOf(tokens), commandSyntax, endOfTurnIds, contextLength },
    chat: chatTemplateOf(model, name),
    tokenizer,
  };
}

/** sha256 over the JSON of the token strings: equal ids mean the same id -> token map. */
export function vocabularyIdOf(tokens: readonly string[]): string {
  return `gguf-tokens-sha256:${createHash('sha256').update(JSON.stringify(tokens)).digest('hex')}`;
}

function tokenList(model: LlamaModel, name: string): readonly string[] {
  const tokens: unknown = model.fileInfo.metadata.tokenizer?.ggml?.tokens;
  if (!Array.isArray(tokens) || tokens.length === 0 || !tokens.every((t) => typeof t === 'string')) {
    throw RelayError.invalidArgument(InvalidArgumentReason.MODEL_DESCRIPTION_INVALID, `${name}: the GGUF has no tokenizer.ggml.tokens list`, 'model');
  }
  return tokens as string[];
}

function chatTemplateOf(model: LlamaModel, name: string): ModelDescription['chat'] {
  const template: unknown = model.fileInfo.metadata.tokenizer?.chat_template;
  if (typeof template !== 'string' || template.trim() === '') return undefined;
  const source: ChatTemplateSource = { template, origin: `${name} (tokenizer.chat_template)` };
  const { bosString, eosString } = model.tokens;
  if (bosString !== null) source.bosToken = bosString;
  if (eosString !== null) source.eosToken = eosString;
  return { kind: 'template', source };
}
