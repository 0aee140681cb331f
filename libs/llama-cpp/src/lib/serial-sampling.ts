import type { LlamaContext } from './types';

type SampleToken = (...args: unknown[]) => Promise<unknown>;
interface AddonContextLike {
  sampleToken?: SampleToken;
  [GUARDED]?: true;
}
const GUARDED = Symbol('relayllm.serialSampling');

/**
 * Makes the sampling calls of one llama.cpp context run one at a time.
 *
 * Why: with several sequences llama.cpp (non-unified KV cache) splits a batch
 * per sequence and may write the output rows in another order than the batch;
 * it records the row swaps and applies them lazily, on the next
 * `llama_get_logits[_ith]` call, without a lock. node-llama-cpp samples every
 * sequence of a decoded batch at once, each on its own libuv worker thread, so
 * two workers can both apply the same swaps (undoing them) and each sequence
 * then samples from ANOTHER sequence's logits. Measured here with the reference
 * teacher, 8 sequences, 8 prompts decoded together: 11 of 300 rounds differed
 * from sequential decoding (a sequence's first token copied from another
 * prompt); with this guard 0 of 300 (libs/engines llama-cpp-engine.integration.spec.ts).
 * Sampling these vocabularies takes microseconds, so running the calls in turn
 * costs nothing measurable; decoding stays batched.
 *
 * The hook is node-llama-cpp's internal `LlamaContext._ctx.sampleToken`
 * (3.21.1, pinned). If a release renames it, this throws at context creation
 * rather than serving silently corrupted tokens.
 */
export function serializeSampling(context: LlamaContext): void {
  const addon = (context as unknown as { _ctx?: AddonContextLike })._ctx;
  const original = addon?.sampleToken;
  if (addon === undefined || typeof original !== 'function') {
    throw new Error(
      'node-llama-cpp internals changed: LlamaContext._ctx.sampleToken not found; ' +
        'concurrent sequences cannot be sampled safely (see serial-sampling.ts)',
    );
  }
  if (addon[GUARDED] === true) return;
  let tail: Promise<unknown> = Promise.resolve();
  const serialSampleToken = (...args: unknown[]): Promise<unknown> => {
    const run = tail.then(() => original.apply(addon, args));
    tail = run.catch(() => undefined);
    return run;
  };
  // The addon declares its methods read-only on the prototype: shadow on the instance.
  Object.defineProperty(addon, 'sampleToken', { value: serialSampleToken, configurable: true });
  Object.defineProperty(addon, GUARDED, { value: true });
}
