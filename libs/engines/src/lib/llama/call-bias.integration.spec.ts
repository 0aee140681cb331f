import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REFERENCE_CHAT_FORMAT, REFERENCE_PAIR_PROFILE, runRelay, SystemClock, type CompletedEvent, type EngineRequest, type RelayUsage } from '@relayllm/relay-core';
import { referenceModelDir } from '@relayllm/testing';
import { startReferenceLlamaPair, type ReferenceLlamaPair } from '../../testing/reference-llama-pair';

/**
 * call_bias on the real reference pair (llama.cpp, greedy): the knob moves
 * how often the student calls the teacher, and 0 is the model as trained.
 */
const QUESTIONS: readonly string[] = readFileSync(join(referenceModelDir(), 'data/test.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { question: string; level: number })
  .filter((item) => item.level === 4)
  .slice(0, 12)
  .map((item) => item.question);

interface Totals {
  calls: number;
  llmTokens: number;
  responseTokens: number;
  texts: string[];
}

describe('call bias on the reference pair (real GGUF models)', () => {
  let pair: ReferenceLlamaPair;
  beforeAll(async () => {
    pair = await startReferenceLlamaPair({ slm: 2, llm: 2 });
  }, 60_000);
  afterAll(async () => {
    await pair?.close();
  });

  async function completed(question: string, id: string, callBias: number | undefined): Promise<CompletedEvent> {
    const framed = REFERENCE_CHAT_FORMAT.frame(question);
    const request = { generationId: id, prompt: framed.text, promptTokens: framed.tokens, maxTokens: 160, sampling: { temperature: 0 }, callBias };
    let last: CompletedEvent | undefined;
    for await (const event of runRelay({ slm: pair.slm, llm: pair.llm, clock: new SystemClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal)) {
      if (event.type === 'completed') last = event;
    }
    if (last === undefined) throw new Error('no completed event');
    pair.slm.release(`${id}/slm`);
    pair.llm.release(`${id}/llm`);
    return last;
  }

  async function totals(callBias: number | undefined): Promise<Totals> {
    const sum: Totals = { calls: 0, llmTokens: 0, responseTokens: 0, texts: [] };
    for (const [i, question] of QUESTIONS.entries()) {
      const { usage, text }: { usage: RelayUsage; text: string } = await completed(question, `bias${String(callBias)}-${i}`, callBias);
      sum.calls += usage.calls;
      sum.llmTokens += usage.llmTokens;
      sum.responseTokens += usage.responseTokens;
      sum.texts.push(text);
    }
    return sum;
  }

  it('a positive bias makes more calls and a larger ρ, a negative one fewer; 0 is byte-identical to no bias', async () => {
    const none = await totals(undefined);
    const zero = await totals(0);
    const up = await totals(4);
    const down = await totals(-4);
    const rho = (t: Totals) => t.llmTokens / t.responseTokens;
    console.log(
      `[call bias] ${QUESTIONS.length} level-4 questions: calls -4:${down.calls} 0:${zero.calls} +4:${up.calls}; ` +
        `ρ -4:${rho(down).toFixed(4)} 0:${rho(zero).toFixed(4)} +4:${rho(up).toFixed(4)}`,
    );
    expect(zero).toEqual(none);
    expect(up.calls).toBeGreaterThan(zero.calls);
    expect(rho(up)).toBeGreaterThan(rho(zero));
    expect(down.calls).toBeLessThan(zero.calls);
    expect(rho(down)).toBeLessThan(rho(zero));
  }, 120_000);

  it('the bound is enforced by the engine too (a worker takes requests from the wire)', async () => {
    const context = REFERENCE_CHAT_FORMAT.frame('Compute 1+1.');
    const request: EngineRequest = {
      sequenceId: 'bound/slm',
      turn: 0,
      context: { text: context.text, tokens: context.tokens },
      appendOnly: false,
      maxTokens: 1,
      sampling: {},
      stopTokens: [],
      stop: [],
      bannedTokens: [],
      callBias: 11,
    };
    const stream = pair.slm.generate(request, new AbortController().signal);
    await expect((async () => {
      for await (const chunk of stream) void chunk;
    })()).rejects.toMatchObject({ kind: 'invalid_argument', reason: 'CALL_BIAS_RANGE', field: 'callBias' });
  });
});
