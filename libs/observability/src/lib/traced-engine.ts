import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { chunkTokenCount, newContextPart, type Engine, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';
import { GenerateDecorator } from './generate-decorator';
import type { EngineMetrics } from './engine-metrics';
import { observeIterable } from './observe-iterable';

/** What LlamaCppEngine adds to its first chunk (KV reuse of this request). */
type PrefillChunk = EngineChunk & { prefill?: { reusedTokens: number; evaluatedTokens: number } };

export const ENGINE_SPAN = 'engine.generate';

export interface TracedEngineOptions {
  tracer: Tracer;
  /** Which model this engine runs ('slm' | 'llm'), an attribute and a metrics label. */
  kind: 'slm' | 'llm';
  metrics?: EngineMetrics;
}

/**
 * An Engine whose every generate() is an `engine.generate` span (child of the
 * active context) with the prefill (evaluated / reused) and decode token
 * counts. Without a sampled span and without metrics it is a thin pass-through.
 */
export function tracedEngine(engine: Engine, options: TracedEngineOptions): Engine {
  const { tracer, kind, metrics } = options;
  return new GenerateDecorator(engine, (request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> => {
      const parent = context.active();
      const span = tracer.startSpan(
        ENGINE_SPAN,
        { kind: SpanKind.INTERNAL, attributes: { 'relay.model': kind, 'engine.append_only': request.appendOnly, 'engine.max_tokens': request.maxTokens } },
        parent,
      );
      const ctx = trace.setSpan(parent, span);
      let decoded = 0;
      let prefillSeen = false;
      let finish: string | undefined;
      return observeIterable(
        context.with(ctx, () => engine.generate(request, signal)),
        ctx,
        {
          onValue(chunk) {
            const prefill = (chunk as PrefillChunk).prefill;
            if (prefill !== undefined && !prefillSeen) {
              prefillSeen = true;
              span.setAttributes({ 'engine.prefill.evaluated_tokens': prefill.evaluatedTokens, 'engine.prefill.reused_tokens': prefill.reusedTokens });
              metrics?.engineTokens.inc({ kind, phase: 'prefill_evaluated' }, prefill.evaluatedTokens);
              metrics?.engineTokens.inc({ kind, phase: 'prefill_reused' }, prefill.reusedTokens);
            }
            decoded += chunkTokenCount(chunk);
            if (chunk.finish !== undefined) finish = chunk.finish;
          },
          onEnd(error) {
            span.setAttribute('engine.decode.tokens', decoded);
            if (finish !== undefined) span.setAttribute('engine.finish', finish);
            // An engine that does not report its prefill: the new part of the context is what it had to read.
            if (!prefillSeen) span.setAttribute('engine.prefill.evaluated_tokens', newContextPart(request).tokens?.length ?? 0);
            metrics?.engineTokens.inc({ kind, phase: 'decode' }, decoded);
            if (error !== undefined) {
              span.recordException(error as Error);
              span.setStatus({ code: SpanStatusCode.ERROR });
            }
            span.end();
          },
        },
      );
  });
}
