/**
 * The Qwen3 and Llama 3.1 fixture pairs, loaded by llama.cpp: their tokenizers agree
 * with the reference (Hugging Face) tokenizers, their chat templates are read, and
 * greedy decoding writes the scripts, so a text-mode relay of any pairing answers
 * EXPECTED_RELAY_ANSWERS[slm][llm].
 */
import { Template } from '@huggingface/jinja';
import { createSequence, loadGgufModel, loadLlama, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type Token } from '@relayllm/llama-cpp';
import {
  chatTemplateOf,
  CHAT_FORMAT_FAMILIES,
  ensureFormatFixtures,
  EXPECTED_COMMAND_FREE_TEXT,
  EXPECTED_LLM_ONLY_ANSWER,
  EXPECTED_RELAY_ANSWERS,
  EXPECTED_SLM_TEXT_UNTIL_CALL,
  familyScript,
  FIXTURE_FAMILIES,
  FIXTURE_SCRIPT_TEXT,
  referenceTokenIds,
  type FamilyScript,
  type FixtureFamily,
  type FixtureRole,
} from './index';

jest.setTimeout(120_000);

interface LoadedModel {
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly sequence: LlamaContextSequence;
}

let llama: Llama;
const models = {} as Record<FixtureFamily, Record<FixtureRole, LoadedModel>>;
const scripts = {} as Record<FixtureFamily, FamilyScript>;

beforeAll(async () => {
  const { paths } = await ensureFormatFixtures();
  llama = await loadLlama({ gpu: false, maxThreads: 2 });
  for (const family of FIXTURE_FAMILIES) {
    scripts[family] = await familyScript(family);
    const pair = {} as Record<FixtureRole, LoadedModel>;
    for (const role of ['slm', 'llm'] as const) {
      const model = await loadGgufModel(llama, paths[family][role]);
      pair[role] = { model, ...(await createSequence(model, { contextSize: 256, threads: 1 })) };
    }
    models[family] = pair;
  }
});

// Disposing llama.cpp can outlast jest's 5 s hook default on a loaded machine.
afterAll(async () => {
  for (const pair of Object.values(models)) {
    for (const { model, context } of Object.values(pair)) {
      await context.dispose();
      await model.dispose();
    }
  }
  await llama?.dispose();
}, 30_000);

/** `count` greedy tokens after `tokens` (the sequence is reset: `tokens` is the whole context). */
async function greedyTokens({ sequence }: LoadedModel, tokens: readonly Token[], count: number): Promise<Token[]> {
  await sequence.clearHistory();
  const generated: Token[] = [];
  for await (const token of sequence.evaluate([...tokens], { temperature: 0, yieldEogToken: true })) {
    generated.push(token);
    if (generated.length >= count) break;
  }
  return generated;
}

/** What a server feeds a model: the rendered prompt (special tokens parsed), then the answer so far as plain text. */
function context({ model }: LoadedModel, family: FixtureFamily, answerSoFar: string): Token[] {
  return [...model.tokenize(scripts[family].promptText, true), ...model.tokenize(answerSoFar, false)];
}

const SAMPLE_TEXTS = [
  'Hello, world! The answer is<call>3</call> forty two.',
  "it's 2024: 1234567 items, 3.14159 each; they're (we'll) I'd\n\n  def f(x):\n\treturn x ** 2\r\n",
  'Ünïcödé — 中文測試 😀 emoji, Ελληνικά',
];

describe.each(FIXTURE_FAMILIES)('%s fixture pair', (family) => {
  it.each(['slm', 'llm'] as const)('%s: llama.cpp tokenizes user text as the reference tokenizer does', async (role) => {
    const { model } = models[family][role];
    for (const text of SAMPLE_TEXTS) {
      expect(model.tokenize(text, false)).toEqual(await referenceTokenIds(family, text));
      expect(model.detokenize(model.tokenize(text, false))).toBe(text);
    }
    expect(model.tokenize(scripts[family].promptText, true)).toEqual(scripts[family].promptTokens);
  });

  it.each(['slm', 'llm'] as const)('%s: a typed end-of-turn token stays text; only special parsing makes it', (role) => {
    const { model } = models[family][role];
    const endOfTurn = CHAT_FORMAT_FAMILIES[family].endOfTurnToken;
    const typed = `say ${endOfTurn} now`;
    expect(model.tokenize(typed, false)).not.toContain(scripts[family].endOfTurn);
    expect(model.detokenize(model.tokenize(typed, false))).toBe(typed);
    expect(model.tokenize(endOfTurn, true)).toEqual([scripts[family].endOfTurn]);
    expect(model.isEogToken(scripts[family].endOfTurn as Token)).toBe(true);
  });

  it('reads the chat template, which renders the prompt the script starts from', () => {
    const { model } = models[family].slm;
    const template = model.fileInfo.metadata.tokenizer.chat_template;
    expect(template).toBe(chatTemplateOf(family));
    const rendered = new Template(template ?? '').render({
      ...CHAT_FORMAT_FAMILIES[family].templateVariables,
      messages: [{ role: 'user', content: 'hi' }],
      add_generation_prompt: true,
    });
    expect(rendered).toBe(scripts[family].promptText);
  });

  it('SLM: greedy from the prompt writes the text up to and including </call>', async () => {
    const slm = models[family].slm;
    const generated = await greedyTokens(slm, context(slm, family, ''), scripts[family].slmUntilCall.length);
    expect(generated).toEqual(scripts[family].slmUntilCall);
    expect(slm.model.detokenize(generated)).toBe(EXPECTED_SLM_TEXT_UNTIL_CALL);
  });

  it('LLM: from the command-free text writes its 3 tokens, then its end of turn', async () => {
    const llm = models[family].llm;
    const generated = await greedyTokens(llm, context(llm, family, EXPECTED_COMMAND_FREE_TEXT), FIXTURE_SCRIPT_TEXT.callTokens + 1);
    expect(generated).toEqual([...scripts[family].llmContinuation, scripts[family].endOfTurn]);
    expect(llm.model.detokenize(generated.slice(0, FIXTURE_SCRIPT_TEXT.callTokens))).toBe(FIXTURE_SCRIPT_TEXT.llmContinuation);
  });

  it('LLM alone answers the prompt', async () => {
    const llm = models[family].llm;
    const generated = await greedyTokens(llm, context(llm, family, ''), 8);
    expect(llm.model.detokenize(generated)).toBe(EXPECTED_LLM_ONLY_ANSWER);
    expect(generated.at(-1)).toBe(scripts[family].endOfTurn);
  });

  it.each([
    ['without', EXPECTED_LLM_ONLY_ANSWER],
    ['with', `${EXPECTED_SLM_TEXT_UNTIL_CALL}${FIXTURE_SCRIPT_TEXT.llmContinuation}`],
  ])('SLM: resumes after the LLM tokens (%s the command in its context) to its end of turn', async (_, answerSoFar) => {
    const slm = models[family].slm;
    const generated = await greedyTokens(slm, context(slm, family, answerSoFar), scripts[family].slmResume.length);
    expect(generated).toEqual(scripts[family].slmResume);
    expect(slm.model.detokenize(generated)).toBe(FIXTURE_SCRIPT_TEXT.slmAfterCall);
  });
});

/** A text-mode relay in miniature: text travels between the models, each side tokenizes it. */
async function relayAnswer(slmFamily: FixtureFamily, llmFamily: FixtureFamily): Promise<string> {
  const slm = models[slmFamily].slm;
  const llm = models[llmFamily].llm;
  const untilCall = slm.model.detokenize(await greedyTokens(slm, context(slm, slmFamily, ''), scripts[slmFamily].slmUntilCall.length));
  const match = /<call>(\d+)<\/call>$/.exec(untilCall);
  if (match === null) throw new Error(`SLM wrote no command: ${JSON.stringify(untilCall)}`);
  let answer = untilCall.slice(0, match.index);
  answer += llm.model.detokenize(await greedyTokens(llm, context(llm, llmFamily, answer), Number(match[1])));
  const resumed = await greedyTokens(slm, context(slm, slmFamily, answer), 8);
  const end = resumed.findIndex((token) => slm.model.isEogToken(token));
  if (end < 0) throw new Error(`SLM did not end its turn: ${JSON.stringify(slm.model.detokenize(resumed))}`);
  return answer + slm.model.detokenize(resumed.slice(0, end));
}

describe('pairings', () => {
  it.each(FIXTURE_FAMILIES.flatMap((slm) => FIXTURE_FAMILIES.map((llm) => [slm, llm] as const)))(
    'SLM %s with LLM %s answers EXPECTED_RELAY_ANSWERS[slm][llm]',
    async (slm, llm) => {
      expect(await relayAnswer(slm, llm)).toBe(EXPECTED_RELAY_ANSWERS[slm][llm]);
    },
  );
});
