/**
 * The SLM stream's frames around the one worker protocol (libs/worker-protocol):
 * a generate request with its pause points, a batch of output, an error.
 */
import type { SlmError, SlmGenerateRequest } from '@relayllm/proto';
import type { EngineContext, EngineRequest, RelayError } from '@relayllm/relay-core';
import { engineRequestFromWire, engineRequestToWire, fromWorkerError, toWorkerError, type ReceivedEngineRequest, type RequestEnvelope } from '@relayllm/worker-protocol';

export interface GenerateEnvelope extends RequestEnvelope {
  generateSeq: number;
  pauseTokens: readonly number[];
  pauseArmTokens: readonly number[];
}

/** A generate as the client sends it: the whole context, or (envelope.tail) only the part the worker does not hold. */
export function generateToWire(request: EngineRequest, envelope: GenerateEnvelope): SlmGenerateRequest {
  return {
    generateSeq: envelope.generateSeq,
    request: engineRequestToWire(request, envelope),
    pauseTokens: [...envelope.pauseTokens],
    pauseArmTokens: [...envelope.pauseArmTokens],
  };
}

/** What a worker runs for one generate frame. */
export interface ReceivedGenerate extends ReceivedEngineRequest {
  pauseTokens: readonly number[];
  pauseArmTokens: readonly number[];
}

/**
 * The generate a worker runs: the request joined to the context the stream
 * holds (`held`), on the stream's own sequence (the one its start frame
 * named), whatever id the request carries.
 */
export function generateFromWire(wire: SlmGenerateRequest, sequenceId: string, held: EngineContext | undefined): ReceivedGenerate {
  const received = wire.request === undefined ? undefined : engineRequestFromWire(wire.request, held);
  if (received === undefined) throw new TypeError('a generate frame without a request');
  return { ...received, request: { ...received.request, sequenceId }, pauseTokens: wire.pauseTokens, pauseArmTokens: wire.pauseArmTokens };
}

export function errorFrame(error: RelayError, generateSeq: number): SlmError {
  return { generateSeq, error: toWorkerError(error) };
}

export function errorFromFrame(frame: SlmError): RelayError {
  return fromWorkerError(frame.error ?? { kind: 0, reason: '', message: 'an error frame without an error', field: '' });
}
