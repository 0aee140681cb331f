import { createContextKey, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
import type { CallerProtocol } from '@relayllm/front-door';
import type { RelayCallGrant } from '@relayllm/relay-core';

/** The spans RelayInstrumentation writes and the state it keeps in the OpenTelemetry context. */
export const RELAY_SPANS = {
  generate: 'relay.generate',
  segment: 'slm.segment',
  call: 'relay.call',
  llmGenerate: 'llm.generate',
} as const;

export interface CallState {
  span: Span;
  ctx: Context;
  callIndex: number;
  startedAt: number;
  waitingFirstToken: boolean;
  /** The call reached an LLM (engine or worker): false at the end of a deterministic call = output-cache hit. */
  reachedLlm: boolean;
  /** Deterministic and behind an output cache (the pool path; the embedded engine has none). */
  cacheable: boolean;
  /** When the latest attempt's route was chosen (NatsLlmPool onRoute). */
  routedAt?: number;
}

export interface GenerationState {
  root: Span;
  pending?: RelayCallGrant;
  calls: Map<number, CallState>;
  segments: number;
  llmEndedAt?: number;
  previousWorkerId?: string;
}

export const GENERATION = createContextKey('relayllm.generation');

export const CALL = createContextKey('relayllm.call');

/** The generation span's attributes for the protocol it arrived on (OpenTelemetry's rpc.* for gRPC). */
export function protocolAttributes(protocol: CallerProtocol): Record<string, string> {
  if (protocol === 'grpc') return { 'relay.protocol': protocol, 'rpc.system': 'grpc', 'rpc.service': 'relayllm.v1.RelayService' };
  return { 'relay.protocol': protocol };
}

export function endWith(span: Span, error: unknown): void {
  if (error !== undefined) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

