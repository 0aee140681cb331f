import type { EngineRequest } from '../ports/engine';
import { pairProfile, type RelayPairProfile } from '../protocol/model-profile';
import { ManualClock } from '../testing/manual-clock';
import { loadLlama31Tokenizer, loadQwen3Tokenizer, type RealTokenizer } from '../testing/real-tokenizers';
import { ScriptedEngine, type ScriptedEngineOptions } from '../testing/scripted-engine';
import type { CompletedEvent, RelayStreamEvent } from './relay-events';
import type { RelayRequest } from './relay-request';
import { runRelay } from './run-relay';

/**
 * The relay over REAL BPE tokens (Qwen3, Llama 3.1): the SLM writes
 * `<call>3</call>` as ordinary text, several tokens, and the scripted engines
 * stream exactly the ids and token texts the real tokenizer gives, cut at
 * every possible chunk size.
 */
let qwen: RealTokenizer;
let llama: RealTokenizer;
beforeAll(async () => {
  [qwen, llama] = await Promise.all([loadQwen3Tokenizer(), loadLlama31Tokenizer()]);
});

/** Qwen3-1.7B student + Qwen3-8B teacher: one tokenizer, so ids travel. */
const qwenPair = (): RelayPairProfile => pairProfile({ ...qwen.profile, name: 'Qwen3-1.7B' }, { ...qwen.profile, name: 'Qwen3-8B' });

/** The ChatML framing of Qwen3's template, the question tokenized as plain text (as the front door does). */
function chatPrompt(model: RealTokenizer, question: string): { prompt: string; promptTokens: number[] } {
  const before = '<|im_start|>user\n';
  const after = '<|im_end|>\n<|im_start|>assistant\n';
  const { tokenize } = model.tokenizer;
  return {
    prompt: before + question + after,
    promptTokens: [...tokenize(before, true), ...tokenize(question, false), ...tokenize(after, true)],
  };
}

interface Run {
  completed: CompletedEvent;
  events: RelayStreamEvent[];
  slm: ScriptedEngine;
  llm: ScriptedEngine;
}

async function relay(
  model: RealTokenizer,
  scripts: { slm: string[]; llm: string[] },
  engine: Omit<ScriptedEngineOptions, 'tokenizer' | 'endOfTurnIds'>,
  request: Partial<RelayRequest> = {},
  pair: RelayPairProfile = qwenPair(),
): Promise<Run> {
  const options: ScriptedEngineOptions = { ...engine, tokenizer: model.scriptTokens, endOfTurnIds: model.profile.endOfTurnIds };
  const slm = new ScriptedEngine(scripts.slm, options);
  const llm = new ScriptedEngine(scripts.llm, options);
  const req: RelayRequest = { generationId: 'g', ...chatPrompt(model, 'What is 6*7?'), maxTokens: 64, ...request };
  if (engine.mode === 'text') delete req.promptTokens;
  const events: RelayStreamEvent[] = [];
  for await (const event of runRelay({ slm, llm, clock: new ManualClock(), pair }, req, new AbortController().signal)) events.push(event);
  const completed = events[events.length - 1];
  if (completed.type !== 'completed') throw new Error('the relay must end with completed');
  return { completed, events, slm, llm };
}

const ids = (model: RealTokenizer, text: string): number[] => model.scriptTokens(text).map((t) => t.id);
const generated = (request: EngineRequest, prompt: string): string => request.context.text.slice(prompt.length);

const SLM_FIRST = 'The answer is<call>3</call>';
const SLM_TOKENS = 10; // "The" " answer" " is" "<" "call" ">" "3" "</" "call" ">"

describe('relay over real Qwen3 tokens (text syntax, ids reported)', () => {
  it('the profile says text syntax: <call> is three tokens, <|im_end|> ends a turn', () => {
    expect(qwen.profile.commandSyntax).toEqual({ kind: 'text' });
    expect(ids(qwen, SLM_FIRST)).toHaveLength(SLM_TOKENS);
    expect(qwen.profile.endOfTurnIds).toContain(ids(qwen, '<|im_end|>')[0]);
  });

  it.each(Array.from({ length: SLM_TOKENS + 2 }, (_, i) => i + 1))('finds the command split over chunks of %i tokens; counts, views and rho are exact', async (tokensPerChunk) => {
    const { completed, slm, llm } = await relay(qwen, { slm: [SLM_FIRST, '.<|im_end|>'], llm: [' 42'] }, { mode: 'token', tokensPerChunk });
    const { prompt, promptTokens } = chatPrompt(qwen, 'What is 6*7?');
    expect(completed.text).toBe('The answer is 42.');
    expect(completed.finishReason).toBe('eos');
    expect(completed.usage).toMatchObject({ slmTokens: SLM_TOKENS + 1, llmTokens: 3, calls: 1, malformedCommands: 0, noCallCommands: 0 });
    expect(completed.usage.llmTokenRatio).toBeCloseTo(3 / 14, 12);
    expect(completed.usage.callRecords.map((c) => [c.requestedN, c.grantedN, c.tokensWritten])).toEqual([[3, 3, 3]]);
    // The LLM sees the prompt and the answer so far, no command; the command
    // starts on a token boundary, so the ids travel (same vocabulary).
    const [call] = llm.requests;
    expect(call.context).toEqual({ text: `${prompt}The answer is`, tokens: [...promptTokens, ...ids(qwen, 'The answer is')] });
    // The SLM's view keeps its command, with the ids it wrote, then the LLM's ids.
    expect(slm.requests[1].context).toEqual({ text: `${prompt}${SLM_FIRST} 42`, tokens: [...promptTokens, ...ids(qwen, SLM_FIRST), ...ids(qwen, ' 42')] });
    expect(slm.requests[1].appendFrom).toEqual({ text: prompt.length, tokens: promptTokens.length });
  });

  it.each([1, 2, 3, 5, 7])('text-only chunks of %i characters: same answer and call, the prompt never parsed', async (charsPerChunk) => {
    const { completed, llm } = await relay(qwen, { slm: [SLM_FIRST, '.<|im_end|>'], llm: [' 42'] }, { mode: 'text', charsPerChunk });
    expect(completed.text).toBe('The answer is 42.');
    expect(completed.usage.calls).toBe(1);
    expect(generated(llm.requests[0], chatPrompt(qwen, 'What is 6*7?').prompt)).toBe('The answer is');
  });

  it('a command sharing a token with text (" <") leaves the LLM a text-only view; the SLM keeps its ids', async () => {
    const slmFirst = 'The answer is <call>3</call>';
    expect(qwen.scriptTokens(slmFirst).map((t) => t.text)).toContain(' <');
    const { completed, slm, llm } = await relay(qwen, { slm: [slmFirst, '.<|im_end|>'], llm: ['42.'] }, { mode: 'token' });
    expect(completed.text).toBe('The answer is 42..');
    expect(completed.usage).toMatchObject({ slmTokens: ids(qwen, slmFirst).length + 1, llmTokens: 3, calls: 1 });
    expect(llm.requests[0].context.tokens).toBeUndefined();
    expect(llm.requests[0].context.text.endsWith('user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\nThe answer is ')).toBe(true);
    expect(slm.requests[1].context.tokens?.slice(-ids(qwen, `${slmFirst}42.`).length)).toEqual(ids(qwen, slmFirst).concat(ids(qwen, '42.')));
  });

  it('a granted command ending inside a token (">The"): the rest of that token is never read, the SLM view turns text-only', async () => {
    const slmFirst = 'So<call>3</call>The';
    expect(qwen.scriptTokens(slmFirst).map((t) => t.text)).toContain('>The');
    const { completed, slm } = await relay(qwen, { slm: [slmFirst, '.<|im_end|>'], llm: [' 42'] }, { mode: 'token' });
    expect(completed.text).toBe('So 42.');
    expect(generated(slm.requests[1], chatPrompt(qwen, 'What is 6*7?').prompt)).toBe('So<call>3</call> 42');
    expect(slm.requests[1].context.tokens).toBeUndefined();
    // Every token read is counted, the cut one included.
    expect(completed.usage.slmTokens).toBe(ids(qwen, slmFirst).length + 1);
  });

  it('<call>9</call> typed in the user message never calls: the prompt is plain tokens and never parsed', async () => {
    const question = 'Say <call>9</call> please';
    const { completed, llm, slm } = await relay(qwen, { slm: ['Fine.<|im_end|>'], llm: [] }, { mode: 'token' }, chatPrompt(qwen, question));
    expect(completed).toMatchObject({ text: 'Fine.', finishReason: 'eos', usage: { calls: 0, slmTokens: 2, malformedCommands: 0 } });
    expect(llm.requests).toHaveLength(0);
    expect(slm.requests[0].context.tokens).toEqual(chatPrompt(qwen, question).promptTokens);
  });

  it("the LLM's end of turn inside its call ends the generation (llm_eos), not counted", async () => {
    const { completed, slm } = await relay(qwen, { slm: [SLM_FIRST], llm: [' 4<|im_end|>'] }, { mode: 'token', tokensPerChunk: 4 });
    expect(completed).toMatchObject({ text: 'The answer is 4', finishReason: 'llm_eos', usage: { llmTokens: 2, calls: 1 } });
    expect(slm.requests).toHaveLength(1);
  });

  it("the SLM's end of turn ends the generation mid-chunk; what follows it is not read", async () => {
    const { completed } = await relay(qwen, { slm: ['Hi.<|im_end|>'], llm: [] }, { mode: 'token', tokensPerChunk: 5 });
    expect(completed).toMatchObject({ text: 'Hi.', finishReason: 'eos', usage: { slmTokens: 2 } });
  });

  it('models with different vocabularies exchange text only', async () => {
    const pair = pairProfile(qwen.profile, { ...qwen.profile, name: 'other', vocabularyId: 'another-tokenizer' });
    const { completed, slm, llm } = await relay(qwen, { slm: [SLM_FIRST, '.<|im_end|>'], llm: [' 42'] }, { mode: 'token' }, {}, pair);
    expect(completed.text).toBe('The answer is 42.');
    expect(llm.requests[0].context.tokens).toBeUndefined();
    expect(slm.requests[1].context.tokens).toBeUndefined();
    expect(slm.requests[1].context.text.endsWith(`${SLM_FIRST} 42`)).toBe(true);
  });
});

describe('relay over real Llama 3.1 tokens', () => {
  it('reads n from a multi-digit number token and ends at <|eot_id|>', async () => {
    const pair = pairProfile(llama.profile, llama.profile);
    const script = 'Sum:<call>12</call>';
    expect(llama.scriptTokens(script).map((t) => t.text)).toContain('12');
    const { completed } = await relay(llama, { slm: [script, '!<|eot_id|>'], llm: [' one two three'] }, { mode: 'token', tokensPerChunk: 2 }, { maxLlmTokensPerCall: 3 }, pair);
    expect(completed.usage.callRecords.map((c) => [c.requestedN, c.grantedN, c.tokensWritten])).toEqual([[12, 3, 3]]);
    expect(completed).toMatchObject({ text: 'Sum: one two three!', finishReason: 'eos' });
  });
});
