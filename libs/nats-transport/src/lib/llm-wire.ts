import { LlmFinishReason, LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { parseSequenceId, sequenceIdOf, type EngineChunk, type EngineFinish, type EngineRequest } from '@relayllm/relay-core';
import { fromWorkerError, toWorkerError } from './worker-error';

/**
 * relay-core's LLM types ⇄ the llm_worker.proto messages. The pool encodes
 * requests and decodes replies; the worker does the reverse. Pure functions,
 * so both sides are tested against each other in one spec.
 */

export interface LlmRequestEnvelope {
  model: string;
  /** 1-based attempt of this call. */
  attempt: number;
  /** Absolute deadline (Unix ms); undefined = none. */
  deadlineUnixMs?: number;
}

/** The generation a relay call belongs to: its LLM sequence's generation. */
export function generationOf(request: EngineRequest): string {
  return parseSequenceId(request.sequenceId)?.generationId ?? request.sequenceId;
}

export function toLlmGenerateRequest(request: EngineRequest, envelope: LlmRequestEnvelope): LlmGenerateRequest {
  const { context, appendFrom, sampling } = request;
  return LlmGenerateRequest.fromPartial({
    generationId: generationOf(request),
    callIndex: request.turn,
    model: envelope.model,
    sequenceId: request.sequenceId,
    contextText: context.text,
    contextTokens: context.tokens === undefined ? undefined : { ids: [...context.tokens] },
    appendOnly: request.appendOnly,
    appendFrom: request.appendOnly && appendFrom !== undefined ? { text: appendFrom.text, tokens: appendFrom.tokens } : undefined,
    maxTokens: request.maxTokens,
    sampling: { temperature: sampling.temperature, topP: sampling.topP, seed: sampling.seed },
    stop: [...request.stop],
    stopTokens: [...request.stopTokens],
    bannedTokens: [...request.bannedTokens],
    deadlineUnixMs: envelope.deadlineUnixMs ?? 0,
    attempt: envelope.attempt,
  });
}

/** The engine request a worker runs for a wire request (sequence `<generationId>/llm` unless given). */
export function toEngineRequest(wire: LlmGenerateRequest): EngineRequest {
  const request: EngineRequest = {
    sequenceId: wire.sequenceId !== '' ? wire.sequenceId : sequenceIdOf(wire.generationId, 'llm'),
    turn: wire.callIndex,
    context: wire.contextTokens === undefined ? { text: wire.contextText } : { text: wire.contextText, tokens: wire.contextTokens.ids },
    appendOnly: wire.appendOnly && wire.appendFrom !== undefined,
    maxTokens: wire.maxTokens,
    sampling: {},
    stopTokens: wire.stopTokens,
    stop: wire.stop,
    bannedTokens: wire.bannedTokens,
  };
  if (request.appendOnly && wire.appendFrom !== undefined) {
    request.appendFrom = wire.appendFrom.tokens === undefined ? { text: wire.appendFrom.text } : { text: wire.appendFrom.text, tokens: wire.appendFrom.tokens };
  }
  const s = wire.sampling;
  if (s?.temperature !== undefined) request.sampling.temperature = s.temperature;
  if (s?.topP !== undefined) request.sampling.topP = s.topP;
  if (s?.seed !== undefined) request.sampling.seed = s.seed;
  return request;
}

const FINISH_TO_WIRE: Record<EngineFinish, LlmFinishReason> = {
  eos: LlmFinishReason.LLM_FINISH_REASON_EOS,
  length: LlmFinishReason.LLM_FINISH_REASON_LENGTH,
  stop: LlmFinishReason.LLM_FINISH_REASON_STOP,
  abort: LlmFinishReason.LLM_FINISH_REASON_ABORT,
};

const FINISH_FROM_WIRE = new Map<LlmFinishReason, EngineFinish>(
  (Object.entries(FINISH_TO_WIRE) as [EngineFinish, LlmFinishReason][]).map(([finish, wire]) => [wire, finish]),
);

/** Chunk as produced by an engine, plus the optional prefill note of LlamaCppEngine's first chunk. */
export type WorkerEngineChunk = EngineChunk & { prefill?: { reusedTokens: number; evaluatedTokens: number } };

/**
 * Accumulates an engine stream into one reply. Token engines: ids, one text
 * per id. Text-only engines (no ids): one `token_texts` entry per chunk, each
 * standing for one token, so the pool can rebuild one delta per token.
 */
export class LlmReplyBuilder {
  private readonly tokens: number[] = [];
  private readonly tokenTexts: string[] = [];
  private readonly probabilities: number[] = [];
  private text = '';
  private finish: EngineFinish | undefined;
  private reused = 0;
  private evaluated = 0;
  private textOnly = false;

  add(chunk: WorkerEngineChunk): void {
    if (chunk.prefill !== undefined) {
      this.reused = chunk.prefill.reusedTokens;
      this.evaluated = chunk.prefill.evaluatedTokens;
    }
    if (chunk.tokens.length > 0) {
      this.tokens.push(...chunk.tokens);
      if (chunk.tokenTexts !== undefined && chunk.tokenTexts.length === chunk.tokens.length) this.tokenTexts.push(...chunk.tokenTexts);
      else if (chunk.tokens.length === 1) this.tokenTexts.push(chunk.text);
      else this.tokenTexts.push(chunk.text, ...chunk.tokens.slice(1).map(() => ''));
      if (chunk.probabilities !== undefined && chunk.probabilities.length === chunk.tokens.length) this.probabilities.push(...chunk.probabilities);
    } else if (chunk.text !== '') {
      this.textOnly = true;
      this.tokenTexts.push(chunk.text);
    }
    this.text += chunk.text;
    if (chunk.finish !== undefined) this.finish = chunk.finish;
  }

  /** Sets the finish when the stream reported none (e.g. it ended because its signal was aborted). */
  finishIfUnset(finish: EngineFinish): void {
    this.finish ??= finish;
  }

  build(base: { workerId: string; wire: LlmGenerateRequest }): LlmGenerateReply {
    const probabilitiesComplete = !this.textOnly && this.probabilities.length === this.tokens.length;
    return LlmGenerateReply.fromPartial({
      workerId: base.workerId,
      generationId: base.wire.generationId,
      callIndex: base.wire.callIndex,
      attempt: base.wire.attempt,
      tokens: this.textOnly ? [] : this.tokens,
      tokenTexts: this.tokenTexts,
      text: this.text,
      probabilities: probabilitiesComplete ? this.probabilities : [],
      finish: FINISH_TO_WIRE[this.finish ?? 'eos'],
      reusedPrefixTokens: this.reused,
      evaluatedTokens: this.evaluated,
    });
  }
}

/** An error reply (the worker never answers a request with a NATS-level error). */
export function llmErrorReply(error: unknown, base: { workerId: string; wire?: LlmGenerateRequest }): LlmGenerateReply {
  return LlmGenerateReply.fromPartial({
    workerId: base.workerId,
    generationId: base.wire?.generationId ?? '',
    callIndex: base.wire?.callIndex ?? 0,
    attempt: base.wire?.attempt ?? 0,
    error: toWorkerError(error, 'LLM worker'),
  });
}

/**
 * A reply as engine chunks (the LlmPool contract): one multi-token chunk with
 * tokenTexts for token engines, one chunk per token text for text-only ones;
 * `finish` on the last. An error reply throws its RelayError.
 */
export function replyToChunks(reply: LlmGenerateReply): EngineChunk[] {
  if (reply.error !== undefined) throw fromWorkerError(reply.error);
  const finish = FINISH_FROM_WIRE.get(reply.finish) ?? 'eos';
  if (reply.tokens.length > 0) {
    const chunk: EngineChunk = { tokens: reply.tokens, text: reply.text, finish };
    const chunkWithTexts = reply.tokenTexts.length === reply.tokens.length ? { ...chunk, tokenTexts: reply.tokenTexts } : chunk;
    return [reply.probabilities.length === reply.tokens.length ? { ...chunkWithTexts, probabilities: reply.probabilities } : chunkWithTexts];
  }
  if (reply.tokenTexts.length === 0) return [{ tokens: [], text: reply.text, finish }];
  return reply.tokenTexts.map((text, i) => ({ tokens: [], text, tokenCount: 1, ...(i === reply.tokenTexts.length - 1 ? { finish } : {}) }));
}
