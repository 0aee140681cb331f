/**
 * Mapping between relay-core's Engine types and the slm_worker.proto wire
 * messages, in both directions. The only place that knows both shapes.
 */
import {
  SlmFinish,
  type SlmChunks,
  type SlmError,
  type SlmGenerateRequest,
  type SlmSampling,
} from '@relayllm/proto';
import {
  InvalidArgumentReason,
  RelayError,
  relayErrorFromPayload,
  type EngineChunk,
  type EngineContext,
  type EngineFinish,
  type EngineRequest,
  type SamplingParams,
} from '@relayllm/relay-core';

const FINISH_TO_WIRE: Readonly<Record<EngineFinish, SlmFinish>> = {
  eos: SlmFinish.SLM_FINISH_EOS,
  length: SlmFinish.SLM_FINISH_LENGTH,
  stop: SlmFinish.SLM_FINISH_STOP,
  abort: SlmFinish.SLM_FINISH_ABORT,
};

export function finishToWire(finish: EngineFinish | undefined): SlmFinish {
  return finish === undefined ? SlmFinish.SLM_FINISH_UNSPECIFIED : FINISH_TO_WIRE[finish];
}

/** undefined for UNSPECIFIED (not the last frame); an unknown value from a newer peer ends the generate as 'eos'. */
export function finishFromWire(finish: SlmFinish): EngineFinish | undefined {
  switch (finish) {
    case SlmFinish.SLM_FINISH_UNSPECIFIED:
      return undefined;
    case SlmFinish.SLM_FINISH_LENGTH:
      return 'length';
    case SlmFinish.SLM_FINISH_STOP:
      return 'stop';
    case SlmFinish.SLM_FINISH_ABORT:
      return 'abort';
    default:
      return 'eos';
  }
}

function samplingToWire(sampling: SamplingParams): SlmSampling {
  return { temperature: sampling.temperature, topP: sampling.topP, seed: sampling.seed };
}

function samplingFromWire(sampling: SlmSampling | undefined): SamplingParams {
  const out: SamplingParams = {};
  if (sampling?.temperature !== undefined) out.temperature = sampling.temperature;
  if (sampling?.topP !== undefined) out.topP = sampling.topP;
  if (sampling?.seed !== undefined) out.seed = sampling.seed;
  return out;
}

export interface WireRequestOptions {
  generateSeq: number;
  /** Send only the part of the context from these offsets on (the worker holds the rest). */
  appendFrom?: { text: number; tokens?: number };
  pauseTokens: readonly number[];
  pauseArmTokens: readonly number[];
  deadlineMs: number;
  /** W3C trace context of the caller's span (traceparent/tracestate), when tracing. */
  traceContext?: Readonly<Record<string, string | undefined>>;
}

/** An EngineRequest as a wire request: whole context, or (with `appendFrom`) only its new part. */
export function requestToWire(request: EngineRequest, options: WireRequestOptions): SlmGenerateRequest {
  const { context } = request;
  const from = options.appendFrom;
  const tokens = context.tokens === undefined ? undefined : { ids: [...context.tokens.slice(from?.tokens ?? 0)] };
  return {
    generateSeq: options.generateSeq,
    appendOnly: from !== undefined,
    contextText: context.text.slice(from?.text ?? 0),
    contextTokens: tokens,
    appendFromText: from?.text ?? 0,
    appendFromTokens: from?.tokens,
    maxTokens: request.maxTokens,
    sampling: samplingToWire(request.sampling),
    stop: [...request.stop],
    stopTokens: [...request.stopTokens],
    bannedTokens: [...request.bannedTokens],
    pauseTokens: [...options.pauseTokens],
    pauseArmTokens: [...options.pauseArmTokens],
    deadlineMs: options.deadlineMs,
    traceContext: definedEntries(options.traceContext),
  };
}

function definedEntries(record: Readonly<Record<string, string | undefined>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record ?? {})) if (value !== undefined && value !== '') out[key] = value;
  return out;
}

/** What a worker needs besides the EngineRequest it rebuilds. */
export interface ReceivedRequest {
  request: EngineRequest;
  pauseTokens: readonly number[];
  pauseArmTokens: readonly number[];
  deadlineMs: number;
  /** The caller's W3C trace context (empty when it does not trace). */
  traceContext: Readonly<Record<string, string>>;
}

/**
 * Rebuilds the EngineRequest on the worker. `previous` is the whole context of
 * the stream's previous request; an append-only request must fit it (its
 * offsets inside it, ids known on both sides), else invalid_argument.
 */
export function requestFromWire(wire: SlmGenerateRequest, sequenceId: string, previous: EngineContext | undefined): ReceivedRequest {
  const part: EngineContext = { text: wire.contextText };
  if (wire.contextTokens !== undefined) part.tokens = wire.contextTokens.ids;
  let context = part;
  let appendFrom: EngineRequest['appendFrom'];
  if (wire.appendOnly) {
    const fromTokens = wire.appendFromTokens;
    const textFits = previous !== undefined && wire.appendFromText <= previous.text.length;
    const tokensFit =
      part.tokens === undefined ||
      (fromTokens !== undefined && previous?.tokens !== undefined && fromTokens <= previous.tokens.length);
    if (previous === undefined || !textFits || !tokensFit) {
      throw RelayError.invalidArgument(InvalidArgumentReason.APPEND_MISMATCH, 'append offsets do not fit the context this stream holds', 'appendFrom');
    }
    context = { text: previous.text.slice(0, wire.appendFromText) + part.text };
    appendFrom = { text: wire.appendFromText };
    if (part.tokens !== undefined && fromTokens !== undefined && previous.tokens !== undefined) {
      context.tokens = [...previous.tokens.slice(0, fromTokens), ...part.tokens];
      appendFrom.tokens = fromTokens;
    }
  }
  const request: EngineRequest = {
    sequenceId,
    turn: Math.max(0, wire.generateSeq - 1),
    context,
    appendOnly: wire.appendOnly,
    maxTokens: wire.maxTokens,
    sampling: samplingFromWire(wire.sampling),
    stopTokens: wire.stopTokens,
    stop: wire.stop,
    bannedTokens: wire.bannedTokens,
  };
  if (appendFrom !== undefined) request.appendFrom = appendFrom;
  return { request, pauseTokens: wire.pauseTokens, pauseArmTokens: wire.pauseArmTokens, deadlineMs: wire.deadlineMs, traceContext: wire.traceContext };
}

/** A worker frame's batch as one EngineChunk (multi-token chunks carry tokenTexts, as the port requires). */
export function chunkFromWire(wire: SlmChunks): EngineChunk {
  const chunk: EngineChunk = { tokens: wire.tokens, text: wire.text };
  if (wire.tokens.length > 1 || wire.tokenTexts.length > 0) chunk.tokenTexts = wire.tokenTexts;
  if (wire.tokenCount !== undefined) chunk.tokenCount = wire.tokenCount;
  if (wire.probabilities.length > 0 && wire.probabilities.length === wire.tokens.length) chunk.probabilities = wire.probabilities;
  const finish = finishFromWire(wire.finish);
  if (finish !== undefined) chunk.finish = finish;
  return chunk;
}

export function errorToWire(error: RelayError, generateSeq: number): SlmError {
  return { generateSeq, kind: error.kind, reason: error.reason, message: error.message, field: error.field ?? '' };
}

export function errorFromWire(wire: SlmError): RelayError {
  return relayErrorFromPayload({ kind: wire.kind as RelayError['kind'], reason: wire.reason, message: wire.message, field: wire.field || undefined });
}
