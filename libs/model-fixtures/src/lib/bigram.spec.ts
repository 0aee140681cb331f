import { fromHalfBits, toHalfBits } from './gguf/half';
import { assertGreedyFollows, BIGRAM_LOGIT, bigramLogits, buildBigramWeights, successorTable, type BigramSpec } from './bigram';

const argmax = (logits: Float32Array) => logits.reduce((best, v, i) => (v > logits[best] ? i : best), 0);

/** Greedy decoding of the bigram model as llama.cpp runs it: only the last token matters. */
function greedyChain(spec: BigramSpec, start: number, steps: number): number[] {
  const weights = buildBigramWeights(spec);
  const out: number[] = [];
  let token = start;
  for (let i = 0; i < steps; i++) {
    token = argmax(bigramLogits(weights, token));
    out.push(token);
  }
  return out;
}

describe('successorTable', () => {
  it('maps each token of a chain to the next one', () => {
    expect([...successorTable([[5, 6, 7], [9, 6]])]).toEqual([
      [5, 6],
      [6, 7],
      [9, 6],
    ]);
  });

  it('refuses a token with two successors', () => {
    expect(() => successorTable([[1, 2, 3], [2, 4]])).toThrow(/token 2 is followed by 3 and by 4/);
  });
});

describe('buildBigramWeights', () => {
  // A script like the fixtures': "<" "call" ">" "3" "</" "call" ">" — "call" has two predecessors.
  const spec: BigramSpec = {
    vocabSize: 50,
    successors: successorTable([[10, 11, 12, 13, 14, 15, 16, 12], [20, 21, 22, 49]]),
    fallbackSuccessor: 49,
  };

  it('makes greedy decoding follow the chains', () => {
    expect(greedyChain(spec, 10, 7)).toEqual([11, 12, 13, 14, 15, 16, 12]);
    expect(greedyChain(spec, 20, 3)).toEqual([21, 22, 49]);
  });

  it('sends every unscripted token to the fallback successor', () => {
    for (const token of [0, 30, 48, 49]) expect(greedyChain(spec, token, 1)).toEqual([49]);
  });

  it('gives the scripted successor BIGRAM_LOGIT and every other token at most 0', () => {
    const weights = buildBigramWeights(spec);
    for (const [from, to] of spec.successors) {
      const logits = bigramLogits(weights, from);
      expect(logits[to]).toBeCloseTo(BIGRAM_LOGIT, 3);
      expect(Math.max(...logits.filter((_, id) => id !== to))).toBeLessThanOrEqual(1e-4);
    }
  });

  it('keeps the width at 8 for a dozen scripted tokens and stores values exact in F16', () => {
    const weights = buildBigramWeights(spec);
    expect(weights.dim).toBe(8);
    const values = [...weights.embedding, ...weights.output];
    expect(values.every((v) => fromHalfBits(toHalfBits(v)) === v)).toBe(true);
    expect(new Set(values.map((v) => Math.abs(v)))).toEqual(new Set([0, 1, BIGRAM_LOGIT / 8, (2 * BIGRAM_LOGIT) / 8]));
  });

  it('never gives two predecessors of one token opposite codes, even when codes run out', () => {
    // 17 tokens all followed by 40, plus the fallback: more sources than rows of an 8-wide Hadamard matrix.
    const many: BigramSpec = { vocabSize: 41, successors: new Map(Array.from({ length: 17 }, (_, i) => [i, 40])), fallbackSuccessor: 0 };
    expect(() => assertGreedyFollows(buildBigramWeights(many), many)).not.toThrow();
    expect(greedyChain(many, 16, 1)).toEqual([40]);
  });

  it('refuses ids outside the vocabulary', () => {
    expect(() => buildBigramWeights({ vocabSize: 5, successors: new Map([[1, 5]]), fallbackSuccessor: 0 })).toThrow(/outside the vocabulary of 5/);
  });
});

describe('assertGreedyFollows', () => {
  it('catches weights that do not follow the table', () => {
    const spec: BigramSpec = { vocabSize: 10, successors: new Map([[1, 2]]), fallbackSuccessor: 9 };
    const weights = buildBigramWeights(spec);
    weights.output.fill(0, 2 * weights.dim, 3 * weights.dim); // erase token 2's output row
    expect(() => assertGreedyFollows(weights, spec)).toThrow(/after token 1 the logit of 2/);
  });
});
