/**
 * Weights of a "bigram" transformer: the block adds nothing (its attention and FFN outputs
 * are zero), so the residual at every position is the embedding of that position's token
 * and the next token depends on the last token only. Each token that has a successor gets
 * its own code vector (a row of a Hadamard matrix, or its negative); every other token
 * shares one fallback code. The output row of a token is the sum of its predecessors'
 * codes, scaled so that its logit after a predecessor is {@link BIGRAM_LOGIT}, while any
 * other logit is 0 or below: greedy decoding follows the table, whatever came before.
 */

/** The logit of the scripted successor; every other logit is <= 0. */
export const BIGRAM_LOGIT = 32;

/** Smallest model width; a power of two, so Hadamard rows exist. */
const MIN_DIM = 8;

export interface BigramSpec {
  readonly vocabSize: number;
  /** token id -> the id greedy decoding must produce after it. */
  readonly successors: ReadonlyMap<number, number>;
  /** What every token without an entry in `successors` is followed by (e.g. end of turn). */
  readonly fallbackSuccessor: number;
}

export interface BigramWeights {
  readonly dim: number;
  readonly vocabSize: number;
  /** vocabSize rows of `dim` values (ggml `token_embd.weight`, dims [dim, vocab]). */
  readonly embedding: Float32Array;
  /** vocabSize rows of `dim` values (ggml `output.weight`, dims [dim, vocab]). */
  readonly output: Float32Array;
}

/**
 * Builds a successor table from token chains: in each chain every id is followed by the
 * next one. A token followed by two different ids in the chains is an error, since a
 * bigram model could not produce both.
 */
export function successorTable(chains: readonly (readonly number[])[]): Map<number, number> {
  const table = new Map<number, number>();
  for (const chain of chains) {
    for (let i = 0; i + 1 < chain.length; i++) {
      const [from, to] = [chain[i], chain[i + 1]];
      const known = table.get(from);
      if (known !== undefined && known !== to) {
        throw new Error(`bigram script: token ${from} is followed by ${known} and by ${to}; a bigram model needs one successor per token`);
      }
      table.set(from, to);
    }
  }
  return table;
}

export function buildBigramWeights(spec: BigramSpec): BigramWeights {
  assertSpec(spec);
  const { dim, codes } = assignCodes(spec);
  const embedding = new Float32Array(spec.vocabSize * dim);
  const output = new Float32Array(spec.vocabSize * dim);
  const codeOf = (source: number) => codes.get(source) ?? codes.get(FALLBACK) ?? new Float32Array(dim);
  for (let id = 0; id < spec.vocabSize; id++) embedding.set(codeOf(id), id * dim);
  const scale = BIGRAM_LOGIT / dim;
  for (const [from, to] of successorEntries(spec)) {
    const code = codeOf(from);
    for (let j = 0; j < dim; j++) output[to * dim + j] += scale * code[j];
  }
  return { dim, vocabSize: spec.vocabSize, embedding, output };
}

/**
 * The logits the model computes after `token` (RMS norm without learned scale, then the
 * output matrix): what llama.cpp computes, up to F16 rounding of exact small integers.
 */
export function bigramLogits(weights: BigramWeights, token: number, rmsEpsilon = 1e-6): Float32Array {
  const { dim } = weights;
  const x = weights.embedding.subarray(token * dim, (token + 1) * dim);
  const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / dim + rmsEpsilon);
  const logits = new Float32Array(weights.vocabSize);
  for (let id = 0; id < weights.vocabSize; id++) {
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += weights.output[id * dim + j] * x[j];
    logits[id] = dot / rms;
  }
  return logits;
}

/** The key of the fallback code in the code map (never a token id). */
const FALLBACK = -1;

function* successorEntries(spec: BigramSpec): Generator<[from: number, to: number]> {
  yield* spec.successors;
  yield [FALLBACK, spec.fallbackSuccessor];
}

function assertSpec(spec: BigramSpec): void {
  const inVocab = (id: number) => Number.isInteger(id) && id >= 0 && id < spec.vocabSize;
  for (const [from, to] of successorEntries(spec)) {
    if ((from !== FALLBACK && !inVocab(from)) || !inVocab(to)) {
      throw new Error(`bigram script: ${from} -> ${to} is outside the vocabulary of ${spec.vocabSize} tokens`);
    }
  }
}

/**
 * Gives each scripted token (and the fallback) a distinct code: Hadamard rows first, then
 * their negatives. Two tokens with the same successor must not get opposite codes (their
 * sum, the successor's output row, would cancel); the width doubles until that holds.
 */
function assignCodes(spec: BigramSpec): { dim: number; codes: Map<number, Float32Array> } {
  const sources = [...spec.successors.keys(), FALLBACK];
  const successorOf = new Map<number, number>(successorEntries(spec));
  for (let dim = MIN_DIM; ; dim *= 2) {
    if (2 * dim < sources.length) continue;
    const candidates = hadamardCodes(dim);
    // Rows first, negatives after: no opposite pair is used while rows remain.
    const order = candidates.map((_, c) => c).sort((a, b) => (a % 2) - (b % 2) || a - b);
    const chosen = new Map<number, number>();
    const used = new Set<number>();
    for (const source of sources) {
      const clash = (c: number) =>
        [...chosen].some(([other, oc]) => successorOf.get(other) === successorOf.get(source) && oc === (c ^ 1));
      const pick = order.find((c) => !used.has(c) && !clash(c));
      if (pick === undefined) break;
      chosen.set(source, pick);
      used.add(pick);
    }
    if (chosen.size === sources.length) {
      return { dim, codes: new Map([...chosen].map(([source, c]) => [source, candidates[c]])) };
    }
  }
}

/**
 * The 2·dim vectors ±H[i] of a Sylvester Hadamard matrix, with H[i] at index 2i and -H[i]
 * at 2i+1 (so `c ^ 1` is the opposite code). Distinct codes are orthogonal or opposite.
 */
function hadamardCodes(dim: number): Float32Array[] {
  const codes: Float32Array[] = [];
  for (let i = 0; i < dim; i++) {
    const row = new Float32Array(dim);
    for (let j = 0; j < dim; j++) row[j] = popcount(i & j) % 2 === 0 ? 1 : -1;
    codes.push(row, row.map((v) => -v));
  }
  return codes;
}

function popcount(n: number): number {
  let count = 0;
  for (let v = n; v !== 0; v &= v - 1) count++;
  return count;
}

/**
 * Checks the weights against the table: after each scripted token (and after an
 * unscripted one) the argmax is the successor, by at least half the scripted logit.
 */
export function assertGreedyFollows(weights: BigramWeights, spec: BigramSpec): void {
  const scripted = new Set(spec.successors.keys());
  const unscripted = Array.from({ length: spec.vocabSize }, (_, id) => id).find((id) => !scripted.has(id));
  const cases: [number, number][] = [...spec.successors];
  if (unscripted !== undefined) cases.push([unscripted, spec.fallbackSuccessor]);
  for (const [token, successor] of cases) {
    const logits = bigramLogits(weights, token);
    let runnerUp = -Infinity;
    logits.forEach((logit, id) => {
      if (id !== successor) runnerUp = Math.max(runnerUp, logit);
    });
    if (!(logits[successor] - runnerUp >= BIGRAM_LOGIT / 2)) {
      throw new Error(`bigram weights: after token ${token} the logit of ${successor} is ${logits[successor]}, another reaches ${runnerUp}`);
    }
  }
}
