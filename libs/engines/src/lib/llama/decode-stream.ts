import { whenAborted, type EngineRequest } from '@relayllm/relay-core';
import type { LlamaContextSequence, LlamaModel, NodeLlamaCppModule, Token } from '@relayllm/llama-cpp';
import type { KvPlan } from './kv-plan';
import { OutputAssembler, type LlamaEngineChunk, type SampledToken } from './output-assembler';

export interface DecodeInput {
  sequence: LlamaContextSequence;
  model: LlamaModel;
  TokenBias: NodeLlamaCppModule['TokenBias'];
  vocabSize: number;
  /** The ids request.callBias is added to (the model's command-opening token(s)). */
  commandOpeningIds: readonly number[];
  request: EngineRequest;
  plan: KvPlan;
  /** Tokens the sequence may still generate (request.maxTokens capped by the context room). */
  limit: number;
  fullDistribution: boolean;
  /** Called with the number of tokens each model step actually fed to the model. */
  onEvaluated(tokens: number): void;
}

interface StepValue {
  token: Token;
  confidence?: number;
  probabilities?: Map<Token, number>;
}
type Step = IteratorResult<StepValue, void>;
const ABORTED = Symbol('aborted');

/**
 * One generate() on a leased sequence: aligns the KV cache with the plan,
 * then samples token by token, turning ids into chunks (OutputAssembler).
 *
 * Abort: each model step is raced against the signal, so the stream ends as
 * soon as the signal fires; the step already running in llama.cpp (one token,
 * a few ms for these models) is then awaited in `finally`, so the sequence is
 * idle, and its cache consistent, when the caller gets it back.
 */
export async function* decodeStream(input: DecodeInput, signal: AbortSignal): AsyncGenerator<LlamaEngineChunk> {
  const { model, request, plan } = input;
  await alignKvCache(input.sequence, plan);
  const assembler = new OutputAssembler({
    isEog: (token) => model.isEogToken(token as Token),
    stopTokens: request.stopTokens,
    stop: request.stop,
    maxTokens: input.limit,
    decode: (tokens, last) => model.detokenize(tokens as Token[], true, last as Token[]),
  });
  const iterator = startEvaluation(input);
  let feeding = plan.feed.length;
  let previous: Token | undefined;
  let pending: Promise<Step> | undefined;
  const aborted = whenAborted(signal, ABORTED);
  try {
    for (;;) {
      // Passing the id back explicitly makes node-llama-cpp feed exactly it (see normalizeStep).
      pending = (previous === undefined ? iterator.next() : iterator.next(previous)) as Promise<Step>;
      const step = await Promise.race([pending, aborted.promise]);
      if (step === ABORTED) {
        yield assembler.end('abort');
        return;
      }
      pending = undefined;
      input.onEvaluated(feeding);
      feeding = 1; // from now on each step feeds the token sampled by the previous one
      if (step.done === true) {
        yield assembler.end('eos'); // node-llama-cpp ended without a token (it does so only at EOG)
        return;
      }
      const sampled = sampledToken(normalizeStep(step.value), input);
      previous = sampled.token as Token;
      const chunk = assembler.push(sampled);
      if (chunk !== undefined) yield chunk;
      if (chunk?.finish !== undefined) return;
    }
  } finally {
    aborted.dispose();
    if (pending !== undefined) {
      const stepFeeding = feeding;
      await pending.then(
        () => input.onEvaluated(stepFeeding),
        () => undefined,
      );
    }
    // Ends node-llama-cpp's generator (frees its sampler); the last sampled
    // token stays unfed: the next request decides whether it belongs.
    await iterator.return(undefined).catch(() => undefined);
  }
}

/** Drops what the plan does not keep of the sequence's KV cache. */
async function alignKvCache(sequence: LlamaContextSequence, plan: KvPlan): Promise<void> {
  if (plan.keep === 0) {
    if (sequence.nextTokenIndex > 0) await sequence.clearHistory();
  } else if (plan.erase) {
    await sequence.eraseContextTokenRanges([{ start: plan.keep, end: sequence.nextTokenIndex }]);
  }
}

/** node-llama-cpp's step iterator over the plan's feed, with the request's sampling. */
function startEvaluation(input: DecodeInput): AsyncGenerator<StepValue, void, Token | undefined> {
  const { sequence, request, plan } = input;
  return sequence.evaluateWithMetadata(
    [...plan.feed] as Token[],
    { confidence: true, probabilities: input.fullDistribution },
    {
      // Left undefined by the caller: greedy, no nucleus truncation (the
      // relay's defaults), and top-k/min-p off since the port has no such knobs.
      temperature: request.sampling.temperature ?? 0,
      topP: request.sampling.topP ?? 1,
      topK: 0,
      minP: 0,
      seed: request.sampling.seed,
      tokenBias: tokenBiasOf(input, request),
      // EOS is reported (as a signal) rather than silently ending the stream.
      yieldEogToken: true,
    },
  );
}

/**
 * node-llama-cpp tells a plain sampled id from a `[id, probabilities, confidence]`
 * result of its addon with `instanceof Array`, which is false when its code runs in
 * another realm than the addon (Jest's VM modules); it then yields the whole triple
 * as `token` (and would feed it back as the next input). Array.isArray works across
 * realms, so the triple is unpacked here, and the real id is passed back to next().
 */
function normalizeStep(value: StepValue): StepValue {
  const raw: unknown = value.token;
  if (!Array.isArray(raw)) return value;
  const [token, probabilities, confidence] = raw as [Token, ArrayLike<number> | undefined, number | undefined];
  const step: StepValue = { token };
  if (typeof confidence === 'number') step.confidence = confidence;
  if (probabilities != null) {
    step.probabilities = new Map();
    for (let i = 1; i < probabilities.length; i += 2) {
      step.probabilities.set(probabilities[i - 1] as Token, probabilities[i] as number);
    }
  }
  return step;
}

function sampledToken(value: StepValue, input: DecodeInput): SampledToken {
  const sampled: SampledToken = { token: value.token };
  if (value.confidence !== undefined) sampled.probability = value.confidence;
  if (input.fullDistribution && value.probabilities !== undefined) {
    const dist = new Float64Array(input.vocabSize);
    for (const [id, p] of value.probabilities) if (id >= 0 && id < dist.length) dist[id] = p;
    sampled.distribution = dist;
  }
  return sampled;
}

/**
 * The request's logit biases: -inf on each banned id (node-llama-cpp ignores a
 * ban on EOS/EOT, "never" has no effect there; the relay only bans the command
 * ids), and callBias added to the logit of each command-opening id (llama.cpp's
 * logit-bias sampler, before temperature: at temperature 0 it moves the argmax).
 * None at all for an unbiased request, so it samples exactly as before.
 */
function tokenBiasOf(input: DecodeInput, request: EngineRequest): InstanceType<DecodeInput['TokenBias']> | undefined {
  const banned = new Set(request.bannedTokens);
  const callBias = request.callBias ?? 0;
  if (banned.size === 0 && callBias === 0) return undefined;
  const bias = new input.TokenBias(input.model.tokenizer);
  if (callBias !== 0) for (const token of input.commandOpeningIds) bias.set(token as Token, { logit: callBias });
  for (const token of banned) bias.set(token as Token, 'never');
  return bias;
}
