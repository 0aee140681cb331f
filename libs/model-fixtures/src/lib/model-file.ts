import type { BigramWeights } from './bigram';
import { CHAT_FORMAT_FAMILIES } from './families';
import { encodeGguf } from './gguf/gguf-writer';
import { GgmlType, gguf, type GgufMetadataEntry, type GgufTensor } from './gguf/gguf-types';
import { tokenizerMetadata, type FamilyVocabulary } from './vocabulary';

export type FixtureRole = 'slm' | 'llm';

/** The fixtures' transformer shape (llama architecture, one block that adds nothing). */
export const FIXTURE_MODEL_SHAPE = {
  contextLength: 4096,
  blockCount: 1,
  headCount: 1,
  rmsEpsilon: 1e-6,
} as const;

/** `general.file_type` 1: "mostly F16" (the two vocabulary-sized matrices). */
const FILE_TYPE_MOSTLY_F16 = 1;

/**
 * A llama-architecture GGUF whose block is inert (attention and FFN projections are zero,
 * norms one), so next-token logits are `output · rmsnorm(embedding[last token])`: the
 * bigram table in `weights`. The tokenizer keys are the family's real ones.
 */
export function encodeFixtureModel(vocabulary: FamilyVocabulary, weights: BigramWeights, role: FixtureRole): Buffer {
  if (weights.vocabSize !== vocabulary.tokens.length) {
    throw new Error(`bigram weights cover ${weights.vocabSize} tokens, the ${vocabulary.family} vocabulary has ${vocabulary.tokens.length}`);
  }
  const family = CHAT_FORMAT_FAMILIES[vocabulary.family];
  const { dim } = weights;
  const metadata: GgufMetadataEntry[] = [
    ['general.architecture', gguf.string('llama')],
    ['general.name', gguf.string(`relayllm-fixture-${family.id}-${role}`)],
    ['general.file_type', gguf.u32(FILE_TYPE_MOSTLY_F16)],
    ['llama.vocab_size', gguf.u32(weights.vocabSize)],
    ['llama.context_length', gguf.u32(FIXTURE_MODEL_SHAPE.contextLength)],
    ['llama.embedding_length', gguf.u32(dim)],
    ['llama.block_count', gguf.u32(FIXTURE_MODEL_SHAPE.blockCount)],
    ['llama.feed_forward_length', gguf.u32(dim)],
    ['llama.attention.head_count', gguf.u32(FIXTURE_MODEL_SHAPE.headCount)],
    ['llama.attention.head_count_kv', gguf.u32(FIXTURE_MODEL_SHAPE.headCount)],
    ['llama.rope.dimension_count', gguf.u32(dim / FIXTURE_MODEL_SHAPE.headCount)],
    ['llama.attention.layer_norm_rms_epsilon', gguf.f32(FIXTURE_MODEL_SHAPE.rmsEpsilon)],
    ['llama.rope.freq_base', gguf.f32(family.ropeFreqBase)],
    ...tokenizerMetadata(vocabulary),
  ];
  return encodeGguf({ metadata, tensors: fixtureTensors(weights) });
}

function fixtureTensors(weights: BigramWeights): GgufTensor[] {
  const { dim, vocabSize } = weights;
  const ones = () => new Float32Array(dim).fill(1);
  const zeros = () => new Float32Array(dim * dim);
  const square = (name: string): GgufTensor => ({ name, type: GgmlType.F32, dims: [dim, dim], values: zeros() });
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', type: GgmlType.F16, dims: [dim, vocabSize], values: weights.embedding },
  ];
  for (let block = 0; block < FIXTURE_MODEL_SHAPE.blockCount; block++) {
    const p = `blk.${block}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, type: GgmlType.F32, dims: [dim], values: ones() },
      square(`${p}attn_q.weight`),
      square(`${p}attn_k.weight`),
      square(`${p}attn_v.weight`),
      square(`${p}attn_output.weight`),
      { name: `${p}ffn_norm.weight`, type: GgmlType.F32, dims: [dim], values: ones() },
      square(`${p}ffn_gate.weight`),
      square(`${p}ffn_up.weight`),
      square(`${p}ffn_down.weight`),
    );
  }
  tensors.push(
    { name: 'output_norm.weight', type: GgmlType.F32, dims: [dim], values: ones() },
    { name: 'output.weight', type: GgmlType.F16, dims: [dim, vocabSize], values: weights.output },
  );
  return tensors;
}
