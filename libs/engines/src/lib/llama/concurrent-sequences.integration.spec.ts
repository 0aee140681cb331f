import { BOS, loadLlama, type Llama } from '@relayllm/llama-cpp';
import { DISTINCT_FIRST_PROMPTS, referenceModelDir } from '@relayllm/testing';
import { join } from 'path';
import { bytes, collect, request } from '../../testing/engine-spec-helpers';
import { LlamaCppEngine } from './llama-cpp-engine';

/**
 * Sequences decoded in one batch must each sample from their OWN logits.
 * Regression: llama.cpp reorders a multi-sequence batch's output rows lazily
 * and without a lock; node-llama-cpp sampled all sequences of a batch on
 * parallel threads, so a sequence could take another prompt's next token
 * (without serializeSampling: 11 of 300 rounds of this spec differed). The race
 * is a matter of thread timing, hence many rounds of short generations.
 */
const ROUNDS = 200;

describe('LlamaCppEngine with concurrent sequences (real llama.cpp model)', () => {
  let llama: Llama;
  let llm: LlamaCppEngine;

  beforeAll(async () => {
    llama = await loadLlama();
    llm = new LlamaCppEngine({ modelPath: join(referenceModelDir(), 'llm.gguf'), llama, sequences: DISTINCT_FIRST_PROMPTS.length });
    await llm.start();
  }, 60_000);

  // Disposing llama.cpp can outlast jest's 5 s hook default on a loaded machine.
  afterAll(async () => {
    await llm?.close();
    await llama?.dispose();
  }, 30_000);

  const answer = async (id: string, question: string): Promise<string> => {
    const prompt = [BOS, ...bytes(`${question}\n`)];
    return (await collect(llm.generate(request(id, prompt, { maxTokens: 3 }), new AbortController().signal))).text;
  };

  it(`${DISTINCT_FIRST_PROMPTS.length} prompts decoded together give what each gives alone (${ROUNDS} rounds)`, async () => {
    const alone: string[] = [];
    for (const [i, q] of DISTINCT_FIRST_PROMPTS.entries()) alone.push(await answer(`alone/${i}`, q));
    // The prompts start with different operands, so a swapped row shows in the first token.
    expect(new Set(alone.map((a) => a[0])).size).toBeGreaterThan(4);
    const mismatched: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const together = await Promise.all(DISTINCT_FIRST_PROMPTS.map((q, i) => answer(`r${round}/${i}`, q)));
      if (JSON.stringify(together) !== JSON.stringify(alone)) mismatched.push(`round ${round}: ${JSON.stringify(together)}`);
    }
    expect(mismatched).toEqual([]);
  }, 120_000);
});
