import { EOS, vocabSize } from './tokens';
import type { LlamaContextSequence, Token } from './types';

/**
 * Softmax over the whole vocabulary for the token after `tokens`, indexed by id.
 *
 * The sequence is reset: `tokens` is the entire context. node-llama-cpp reports
 * probabilities AFTER its sampler chain; `temperature: 0` makes that chain a bare
 * greedy pick that keeps every candidate, so the map holds all vocabulary ids with
 * the untouched softmax of the logits (a top-k / top-p / min-p chain would truncate it).
 */
export async function nextTokenDistribution(
  sequence: LlamaContextSequence,
  tokens: readonly Token[],
): Promise<Float64Array> {
  if (tokens.length === 0) throw new Error('nextTokenDistribution: empty token list');
  await sequence.clearHistory();
  const last = tokens.length - 1;
  const input = tokens.map((token, i) =>
    i === last ? ([token, { generateNext: { probabilities: true, options: { temperature: 0 } } }] as const) : token,
  );
  const output = await sequence.controlledEvaluate(input as Parameters<LlamaContextSequence['controlledEvaluate']>[0]);
  const probabilities = output[last]?.next?.probabilities;
  if (probabilities === undefined) throw new Error('nextTokenDistribution: llama.cpp returned no probabilities');
  const n = vocabSize(sequence.model);
  if (probabilities.size !== n) {
    throw new Error(`nextTokenDistribution: got ${probabilities.size} probabilities, vocabulary has ${n}`);
  }
  const dist = new Float64Array(n);
  for (const [id, p] of probabilities) dist[id] = p;
  return dist;
}

/**
 * Greedy (argmax) continuation of `tokens`: at most `maxTokens` generated ids,
 * stopping after EOS (which is included). The sequence is reset first.
 */
export async function greedy(
  sequence: LlamaContextSequence,
  tokens: readonly Token[],
  maxTokens: number,
): Promise<Token[]> {
  await sequence.clearHistory();
  const generated: Token[] = [];
  if (maxTokens <= 0) return generated;
  for await (const token of sequence.evaluate([...tokens], { temperature: 0, yieldEogToken: true })) {
    generated.push(token);
    if (token === EOS || generated.length >= maxTokens) break;
  }
  return generated;
}
