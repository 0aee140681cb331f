import { LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { InvalidArgumentReason, parseSequenceId, RelayError, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';
import { ChunkAccumulator, chunksFromWire, engineRequestFromWire, engineRequestToWire, fromWorkerError, toWorkerError } from '@relayllm/worker-protocol';

/**
 * The LLM worker protocol's envelope around the one engine mapper
 * (libs/worker-protocol): a relay call is an EngineRequest on the
 * generation's `/llm` sequence (turn = the call index) with its model and
 * attempt; the reply is the whole output as one batch, or an error. The pool
 * encodes requests and decodes replies; the worker does the reverse.
 */

export interface LlmRequestEnvelope {
  model: string;
  /** 1-based attempt of this call. */
  attempt: number;
  /** 1-based send of the attempt (sent again after a broker drop; default 1). */
  send?: number;
  /** The worker's time limit for the call, ms from receipt (0 = none). */
  timeoutMs: number;
  traceContext?: Readonly<Record<string, string | undefined>>;
}

/** The generation a relay call belongs to: its LLM sequence's generation. */
export function generationOf(request: Pick<EngineRequest, 'sequenceId'>): string {
  return parseSequenceId(request.sequenceId)?.generationId ?? request.sequenceId;
}

export function toLlmGenerateRequest(request: EngineRequest, envelope: LlmRequestEnvelope): LlmGenerateRequest {
  return {
    model: envelope.model,
    attempt: envelope.attempt,
    send: envelope.send ?? 1,
    request: engineRequestToWire(request, { timeoutMs: envelope.timeoutMs, traceContext: envelope.traceContext }),
  };
}

/** The engine request a worker runs for a wire request, and its time limit (ms from receipt). */
export function toEngineRequest(wire: LlmGenerateRequest): { request: EngineRequest; timeoutMs: number } {
  if (wire.request === undefined) throw RelayError.invalidArgument(InvalidArgumentReason.WORKER_PROTOCOL, 'a relay request without its engine request', 'request');
  const received = engineRequestFromWire(wire.request);
  return { request: received.request, timeoutMs: received.timeoutMs };
}

/** Chunk as produced by an engine, plus the optional prefill note of LlamaCppEngine's first chunk. */
export type WorkerEngineChunk = EngineChunk & { prefill?: { reusedTokens: number; evaluatedTokens: number } };

/** Accumulates an engine stream into one reply (the whole answer of a relay call: n is small). */
export class LlmReplyBuilder {
  private readonly output = new ChunkAccumulator();
  private finish: EngineChunk['finish'];
  private reused = 0;
  private evaluated = 0;

  add(chunk: WorkerEngineChunk): void {
    if (chunk.prefill !== undefined) {
      this.reused = chunk.prefill.reusedTokens;
      this.evaluated = chunk.prefill.evaluatedTokens;
    }
    this.output.add(chunk);
    if (chunk.finish !== undefined) this.finish = chunk.finish;
  }

  /** Sets the finish when the stream reported none (e.g. it ended because its signal was aborted). */
  finishIfUnset(finish: NonNullable<EngineChunk['finish']>): void {
    this.finish ??= finish;
  }

  build(base: { workerId: string; wire: LlmGenerateRequest }): LlmGenerateReply {
    return LlmGenerateReply.fromPartial({
      workerId: base.workerId,
      sequenceId: base.wire.request?.sequenceId ?? '',
      turn: base.wire.request?.turn ?? 0,
      attempt: base.wire.attempt,
      output: this.output.flush(this.finish ?? 'eos'),
      reusedPrefixTokens: this.reused,
      evaluatedTokens: this.evaluated,
    });
  }
}

/** An error reply (the worker never answers a request with a NATS-level error). */
export function llmErrorReply(error: unknown, base: { workerId: string; wire?: LlmGenerateRequest }): LlmGenerateReply {
  return LlmGenerateReply.fromPartial({
    workerId: base.workerId,
    sequenceId: base.wire?.request?.sequenceId ?? '',
    turn: base.wire?.request?.turn ?? 0,
    attempt: base.wire?.attempt ?? 0,
    error: toWorkerError(error, 'LLM worker'),
  });
}

/** A reply as engine chunks (the Engine chunk contract); an error reply throws its RelayError. */
export function replyToChunks(reply: LlmGenerateReply): EngineChunk[] {
  if (reply.error !== undefined) throw fromWorkerError(reply.error);
  return chunksFromWire(reply.output ?? new ChunkAccumulator().flush('eos'));
}
