import type { EngineRequest as WireEngineRequest, Sampling } from '@relayllm/proto';
import {
  InvalidArgumentReason,
  RelayError,
  type AppendOffsets,
  type EngineContext,
  type EngineRequest,
  type SamplingParams,
} from '@relayllm/relay-core';

/** What travels with a request besides the request itself. */
export interface RequestEnvelope {
  /** The worker's time limit for the generate, in ms from receipt (0 = none). */
  timeoutMs: number;
  /** W3C trace context of the caller's span (traceparent / tracestate), when traced. */
  traceContext?: Readonly<Record<string, string | undefined>>;
  /**
   * Send only the part of the context from `request.appendFrom` on: the
   * receiver holds the rest from the sequence's previous request (an SLM
   * stream). Only for an append-only request.
   */
  tail?: boolean;
}

function samplingToWire(sampling: SamplingParams): Sampling {
  return { temperature: sampling.temperature, topP: sampling.topP, seed: sampling.seed };
}

function samplingFromWire(sampling: Sampling | undefined): SamplingParams {
  const out: SamplingParams = {};
  if (sampling?.temperature !== undefined) out.temperature = sampling.temperature;
  if (sampling?.topP !== undefined) out.topP = sampling.topP;
  if (sampling?.seed !== undefined) out.seed = sampling.seed;
  return out;
}

function definedEntries(record: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {})) if (value !== undefined && value !== '') out[key] = value;
  return out;
}

/** An EngineRequest as the wire carries it: the whole context, or (envelope.tail) only its new part. */
export function engineRequestToWire(request: EngineRequest, envelope: RequestEnvelope): WireEngineRequest {
  const { context, appendFrom } = request;
  const tail = envelope.tail === true && request.appendOnly && appendFrom !== undefined;
  const from = tail ? appendFrom : undefined;
  return {
    sequenceId: request.sequenceId,
    turn: request.turn,
    contextText: context.text.slice(from?.text ?? 0),
    contextTokens: context.tokens === undefined ? undefined : { ids: context.tokens.slice(from?.tokens ?? 0) },
    appendOnly: request.appendOnly && appendFrom !== undefined,
    appendFrom: request.appendOnly && appendFrom !== undefined ? { text: appendFrom.text, tokens: appendFrom.tokens } : undefined,
    contextIsTail: tail,
    maxTokens: request.maxTokens,
    sampling: samplingToWire(request.sampling),
    stop: [...request.stop],
    stopTokens: [...request.stopTokens],
    bannedTokens: [...request.bannedTokens],
    callBias: request.callBias ?? 0,
    reportProbabilities: request.reportProbabilities === true,
    timeoutMs: envelope.timeoutMs,
    traceContext: definedEntries(envelope.traceContext),
  };
}

/** A received request: the EngineRequest and its envelope. */
export interface ReceivedEngineRequest {
  request: EngineRequest;
  timeoutMs: number;
  /** The caller's W3C trace context (empty when it does not trace). */
  traceContext: Readonly<Record<string, string>>;
}

/**
 * Rebuilds the EngineRequest on a worker. A tail is joined to `held`, the
 * whole context of the sequence's previous request: its offsets must fit it
 * (ids known on both sides), else INVALID_ARGUMENT APPEND_MISMATCH.
 */
export function engineRequestFromWire(wire: WireEngineRequest, held?: EngineContext): ReceivedEngineRequest {
  const sent: EngineContext = wire.contextTokens === undefined ? { text: wire.contextText } : { text: wire.contextText, tokens: wire.contextTokens.ids };
  const appendFrom: AppendOffsets | undefined =
    wire.appendOnly && wire.appendFrom !== undefined
      ? wire.appendFrom.tokens === undefined
        ? { text: wire.appendFrom.text }
        : { text: wire.appendFrom.text, tokens: wire.appendFrom.tokens }
      : undefined;
  const request: EngineRequest = {
    sequenceId: wire.sequenceId,
    turn: wire.turn,
    context: wire.contextIsTail ? joinTail(sent, appendFrom, held) : sent,
    appendOnly: appendFrom !== undefined,
    maxTokens: wire.maxTokens,
    sampling: samplingFromWire(wire.sampling),
    stopTokens: wire.stopTokens,
    stop: wire.stop,
    bannedTokens: wire.bannedTokens,
  };
  if (appendFrom !== undefined) request.appendFrom = appendFrom;
  // 0 (proto3's default) is no bias: absent, as the relay sends an unbiased request.
  if (wire.callBias !== 0) request.callBias = wire.callBias;
  if (wire.reportProbabilities) request.reportProbabilities = true;
  return { request, timeoutMs: wire.timeoutMs, traceContext: wire.traceContext };
}

/** The whole context of a tail: the held context up to the append offsets, then the tail. */
function joinTail(tail: EngineContext, from: AppendOffsets | undefined, held: EngineContext | undefined): EngineContext {
  const textFits = from !== undefined && held !== undefined && from.text <= held.text.length;
  const tokensFit =
    tail.tokens === undefined || (from?.tokens !== undefined && held?.tokens !== undefined && from.tokens <= held.tokens.length);
  if (!textFits || !tokensFit || from === undefined || held === undefined) {
    throw RelayError.invalidArgument(InvalidArgumentReason.APPEND_MISMATCH, 'append offsets do not fit the context this stream holds', 'appendFrom');
  }
  const context: EngineContext = { text: held.text.slice(0, from.text) + tail.text };
  if (tail.tokens !== undefined && from.tokens !== undefined && held.tokens !== undefined) {
    context.tokens = [...held.tokens.slice(0, from.tokens), ...tail.tokens];
  }
  return context;
}
