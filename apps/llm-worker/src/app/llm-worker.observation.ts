import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { TraceHeaders } from '@relayllm/nats-transport';
import { fromWorkerError } from '@relayllm/worker-protocol';
import { extractTraceHeaders, type WorkerMetrics } from '@relayllm/observability';
import type { LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';

/**
 * The LLM worker's part of a trace and its request metrics: each relay
 * request runs under an `llm.generate` span whose parent is the caller's
 * `relay.call` (W3C trace context from the NATS headers), so the engine's
 * `engine.generate` span nests under it. With tracing off the API's no-op
 * tracer makes this a pass-through.
 */
export class LlmWorkerObservation {
  constructor(
    private readonly tracer: Tracer,
    private readonly workerId: string,
    private readonly metrics?: WorkerMetrics,
  ) {}

  async generate(trace_: TraceHeaders, wire: LlmGenerateRequest, serve: () => Promise<LlmGenerateReply>): Promise<LlmGenerateReply> {
    const parent = extractTraceHeaders(trace_, context.active());
    const span = this.tracer.startSpan(
      'llm.generate',
      {
        kind: SpanKind.SERVER,
        attributes: {
          'messaging.system': 'nats',
          'relay.worker_id': this.workerId,
          'relay.call_index': wire.request?.turn ?? 0,
          'relay.attempt': wire.attempt,
          'relay.granted_n': wire.request?.maxTokens ?? 0,
        },
      },
      parent,
    );
    try {
      const reply = await context.with(trace.setSpan(parent, span), serve);
      if (reply.error !== undefined) {
        const kind = fromWorkerError(reply.error).kind;
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${kind}: ${reply.error.reason}` });
        span.setAttribute('relay.error_kind', kind);
        this.metrics?.requests.inc({ kind: 'llm', outcome: kind });
      } else {
        span.setAttributes({
          'relay.tokens_written': outputTokens(reply),
          'relay.reused_prefix_tokens': reply.reusedPrefixTokens,
          'relay.evaluated_tokens': reply.evaluatedTokens,
        });
        this.metrics?.requests.inc({ kind: 'llm', outcome: 'ok' });
      }
      return reply;
    } finally {
      span.end();
    }
  }

  /** Told by the service when the engine starts (after any wait for the generation's previous attempt). */
  readonly onEngineStart = (queuedMs: number): void => {
    trace.getSpan(context.active())?.setAttribute('llm.queue_wait_ms', queuedMs);
    this.metrics?.handoffSeconds.observe({ stage: 'queue_wait' }, Math.max(0, queuedMs) / 1000);
  };
}

/** Tokens the reply's output stands for (ids, else the text-only count). */
function outputTokens(reply: LlmGenerateReply): number {
  const output = reply.output;
  if (output === undefined) return 0;
  return output.tokens.length > 0 ? output.tokens.length : (output.tokenCount ?? output.tokenTexts.length);
}
