import { context, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { isDeterministicSampling, type WorkerRoute } from '@relayllm/relay-cluster';
import {
  isRelayError,
  type Engine,
  type EngineChunk,
  type EngineRequest,
  type RelayPolicy,
  type RelayRequest,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import type { CallerContext, CallerProtocol, GenerationObserver } from '@relayllm/front-door';
import { cutOutcome, failureOutcome, recordCompleted, type HandoffStage, type RelayMetrics } from './metrics';
import type { FaultMetrics } from './fault-metrics';
import { GenerateDecorator } from './generate-decorator';
import { observeIterable } from './observe-iterable';
import { logGenerationEnd, type GenerationLogger } from './generation-log';
import { extractTraceHeaders, injectTraceHeaders, type TraceContextHeaders } from './trace-context';
import { ensureContextManager } from './tracing';
import { CALL, endWith, GENERATION, protocolAttributes, RELAY_SPANS, type CallState, type GenerationState } from './relay-spans';

/** The policy of a request that names none (relay-core's validation reads it the same way). */
const DEFAULT_POLICY: RelayPolicy = 'RELAY';

export { RELAY_SPANS } from './relay-spans';

export interface RelayInstrumentationOptions {
  /** The app's tracer (no-op when tracing is off). */
  tracer: Tracer;
  metrics?: RelayMetrics;
  /** The fault counters (cluster): read by the host where it builds its remote engines and its NATS connection. */
  faults?: FaultMetrics;
  /**
   * One line per generation at its end ('generation finished' / 'generation
   * failed'), written inside its span (trace_id / span_id); prompt and answer
   * only when the logger's content flag is on.
   */
  logger?: GenerationLogger;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
}

/**
 * Spans and metrics of the relay, observed from the outside: relay-core stays
 * free of OpenTelemetry. The host wraps its handler (`generate`: the
 * `relay.generate` root, fed runRelay's events), its SLM engine (`slm`: one
 * `slm.segment` per SLM run between calls) and its LLM side (`llmEngine` in
 * one process, `llmPool` + `llmWorkerProbe` around a NATS pool: one
 * `relay.call` per command). The generation's state travels in the OpenTelemetry
 * context (AsyncLocalStorage), never in a global map, so concurrent
 * generations never mix.
 */
export class RelayInstrumentation implements GenerationObserver {
  private readonly tracer: Tracer;
  private readonly metrics?: RelayMetrics;
  private readonly logger?: GenerationLogger;
  private readonly now: () => number;
  readonly faults?: FaultMetrics;

  constructor(options: RelayInstrumentationOptions) {
    this.tracer = options.tracer;
    this.metrics = options.metrics;
    this.faults = options.faults;
    this.logger = options.logger;
    this.now = options.now ?? (() => performance.now());
    // The generation's state travels in the context, also when only metrics are on.
    ensureContextManager();
  }

  /** The front door's observer: the generation under a `relay.generate` span whose parent is the caller's trace context. */
  observe(run: () => AsyncIterable<RelayStreamEvent>, request: RelayRequest, caller: CallerContext, signal: AbortSignal): AsyncIterable<RelayStreamEvent> {
    return this.generate(run, request, extractTraceHeaders(caller.traceContext, context.active()), caller.protocol, signal);
  }

  /** One generation under a `relay.generate` span (child of `parent`). */
  generate(
    run: () => AsyncIterable<RelayStreamEvent>,
    request: Pick<RelayRequest, 'policy' | 'maxTokens'> & Partial<Pick<RelayRequest, 'generationId' | 'prompt'>>,
    parent: Context = context.active(),
    protocol: CallerProtocol = 'grpc',
    signal?: AbortSignal,
  ): AsyncIterable<RelayStreamEvent> {
    const root = this.tracer.startSpan(
      RELAY_SPANS.generate,
      { kind: SpanKind.SERVER, attributes: { ...protocolAttributes(protocol), 'relay.policy': request.policy ?? DEFAULT_POLICY, 'relay.max_tokens': request.maxTokens } },
      parent,
    );
    const state: GenerationState = { root, calls: new Map(), segments: 0 };
    const ctx = trace.setSpan(parent, root).setValue(GENERATION, state);
    let completed: Extract<RelayStreamEvent, { type: 'completed' }> | undefined;
    const startedAt = this.now();
    return observeIterable(context.with(ctx, run), ctx, {
      onValue: (event) => {
        if (event.type === 'relayStarted') state.pending = { callIndex: event.callIndex, origin: event.origin, requestedN: event.requestedN, grantedN: event.grantedN };
        else if (event.type === 'relayFinished') this.finishCall(state, event.callIndex, event.tokensWritten);
        else if (event.type === 'completed') {
          completed = event;
          const { usage } = event;
          root.setAttributes({
            'relay.finish_reason': event.finishReason,
            'relay.calls': usage.calls,
            'relay.slm_tokens': usage.slmTokens,
            'relay.llm_tokens': usage.llmTokens,
            'relay.llm_token_ratio': usage.llmTokenRatio,
            'relay.malformed_commands': usage.malformedCommands,
          });
          if (this.metrics !== undefined) recordCompleted(this.metrics, event, { policy: request.policy ?? DEFAULT_POLICY, protocol }, signal);
        }
      },
      onEnd: (error) => {
        for (const call of state.calls.values()) this.finishCall(state, call.callIndex);
        if (error !== undefined) {
          const kind = isRelayError(error) ? error.kind : 'internal';
          root.recordException(error as Error);
          root.setStatus({ code: SpanStatusCode.ERROR, message: isRelayError(error) ? `${error.kind}: ${error.reason}` : 'internal' });
          root.setAttribute('relay.error_kind', kind);
          this.metrics?.errors.inc({ kind, protocol });
          this.metrics?.generations.inc({ outcome: failureOutcome(kind), protocol });
        } else if (completed === undefined) {
          // The consumer left before `completed` (the client went away).
          this.metrics?.generations.inc({ outcome: cutOutcome(signal), protocol });
        }
        const logger = this.logger;
        if (logger !== undefined) context.with(ctx, () => logGenerationEnd(logger, request, completed, error, this.now() - startedAt));
        root.end();
      },
    });
  }

  /** The SLM engine: each generate() is an `slm.segment` (the SLM's run between two calls). */
  slm(engine: Engine): Engine {
    return new GenerateDecorator(engine, (request, signal) => {
        const parent = context.active();
        const state = parent.getValue(GENERATION) as GenerationState | undefined;
        const index = state === undefined ? 0 : state.segments++;
        const span = this.tracer.startSpan(RELAY_SPANS.segment, { attributes: { 'relay.segment_index': index, 'relay.append_only': request.appendOnly } }, parent);
        const ctx = trace.setSpan(parent, span);
        let tokens = 0;
        let first = true;
        return observeIterable(context.with(ctx, () => engine.generate(request, signal)), ctx, {
          onValue: (chunk) => {
            if (first && state?.llmEndedAt !== undefined) {
              this.observeStage('resume', this.now() - state.llmEndedAt);
              state.llmEndedAt = undefined;
            }
            first = false;
            tokens += chunk.tokens.length > 0 ? chunk.tokens.length : (chunk.tokenCount ?? (chunk.text === '' ? 0 : 1));
          },
          onEnd: (error) => {
            span.setAttribute('relay.slm_tokens', tokens);
            endWith(span, error);
          },
        });
    });
  }

  /** The LLM as an in-process engine (embedded): `relay.call` > `llm.generate` > the engine. */
  llmEngine(engine: Engine): Engine {
    return new GenerateDecorator(engine, (request, signal) =>
        this.call(request, false, (ctx) => {
          const span = this.tracer.startSpan(RELAY_SPANS.llmGenerate, { attributes: { 'relay.call_index': request.turn } }, ctx);
          const inner = trace.setSpan(ctx, span);
          this.markReachedLlm(ctx, { kind: 'worker', workerId: 'embedded' });
          return observeIterable(context.with(inner, () => engine.generate(request, signal)), inner, { onEnd: (error) => endWith(span, error) });
        }),
    );
  }

  /** The LLM pool as the relay sees it (outside any output cache): one `relay.call` per command. */
  llmPool(pool: Engine): Engine {
    return new GenerateDecorator(pool, (request, signal) => this.call(request, true, () => pool.generate(request, signal)));
  }

  /** Put between an output cache and the pool that reaches workers: a call that never gets here was a cache hit. */
  llmWorkerProbe(pool: Engine): Engine {
    return new GenerateDecorator(pool, (request, signal) => {
      this.markReachedLlm(context.active());
      return pool.generate(request, signal);
    });
  }

  /** NatsLlmPool's `traceHeaders` option: the active `relay.call` as NATS headers. */
  readonly traceHeaders = (): TraceContextHeaders | undefined => injectTraceHeaders(context.active());

  /** NatsLlmPool's `onRoute`: the route stage (call start → the first attempt's worker chosen, affinity lookup included). */
  readonly onLlmRoute = (attempt: { attempt: number; route: WorkerRoute }): void => {
    const call = context.active().getValue(CALL) as CallState | undefined;
    if (call === undefined) return;
    call.routedAt = this.now();
    if (attempt.attempt === 1) this.observeStage('route', call.routedAt - call.startedAt);
  };

  /** NatsLlmPool's `onAttempt`: the publish stage (route chosen → request sent) and relay.queue_wait_ms. */
  readonly onLlmAttempt = (attempt: { attempt: number; route: WorkerRoute }): void => {
    const call = context.active().getValue(CALL) as CallState | undefined;
    if (call === undefined) return;
    const now = this.now();
    call.span.setAttributes({ 'relay.attempts': attempt.attempt, 'relay.queue_wait_ms': now - call.startedAt });
    if (attempt.attempt === 1 && call.routedAt !== undefined) this.observeStage('publish', now - call.routedAt);
  };

  /** NatsLlmPool's `onRelay`: which worker answered and whether it held the generation's prefix. */
  readonly onLlmRelay = (outcome: { workerId: string; attempts: number; route: WorkerRoute; reusedPrefixTokens: number; evaluatedTokens: number }): void => {
    const active = context.active();
    const call = active.getValue(CALL) as CallState | undefined;
    const state = active.getValue(GENERATION) as GenerationState | undefined;
    const affinity = state?.previousWorkerId === undefined ? 'none' : state.previousWorkerId === outcome.workerId ? 'hit' : 'miss';
    this.metrics?.llmRelays.inc({ affinity });
    if (state !== undefined) state.previousWorkerId = outcome.workerId;
    call?.span.setAttributes({
      'relay.worker_id': outcome.workerId,
      'relay.attempts': outcome.attempts,
      'relay.affinity_hit': outcome.route.kind === 'worker' && outcome.attempts === 1,
      'relay.reused_prefix_tokens': outcome.reusedPrefixTokens,
      'relay.evaluated_tokens': outcome.evaluatedTokens,
    });
  };

  private call(request: EngineRequest, behindCache: boolean, start: (ctx: Context) => AsyncIterable<EngineChunk>): AsyncIterable<EngineChunk> {
    const parent = context.active();
    const state = parent.getValue(GENERATION) as GenerationState | undefined;
    const pending = state?.pending?.callIndex === request.turn ? state.pending : undefined;
    const span = this.tracer.startSpan(
      RELAY_SPANS.call,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'relay.call_index': request.turn,
          'relay.requested_n': pending?.requestedN ?? request.maxTokens,
          'relay.granted_n': pending?.grantedN ?? request.maxTokens,
          'relay.call_origin': pending?.origin ?? 'command',
        },
      },
      parent,
    );
    const call: CallState = {
      span,
      ctx: parent,
      callIndex: request.turn,
      startedAt: this.now(),
      waitingFirstToken: true,
      reachedLlm: false,
      cacheable: behindCache && isDeterministicSampling(request.sampling),
    };
    call.ctx = trace.setSpan(parent, span).setValue(CALL, call);
    state?.calls.set(request.turn, call);
    this.metrics?.llmQueueDepth.inc();
    const firstTokenDone = (): void => {
      if (!call.waitingFirstToken) return;
      call.waitingFirstToken = false;
      this.metrics?.llmQueueDepth.dec();
    };
    return observeIterable(
      context.with(call.ctx, () => start(call.ctx)),
      call.ctx,
      {
        onValue: () => {
          if (call.waitingFirstToken) this.observeStage('first_token', this.now() - call.startedAt);
          firstTokenDone();
        },
        onEnd: (error) => {
          firstTokenDone();
          if (state !== undefined) state.llmEndedAt = this.now();
          const cacheHit = call.cacheable && !call.reachedLlm && error === undefined;
          span.setAttribute('relay.cache_hit', cacheHit);
          if (call.cacheable) this.metrics?.outputCache.inc({ result: cacheHit ? 'hit' : 'miss' });
          if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR });
          // Without a generation (a bare pool call) nobody sends relayFinished: end here.
          if (state === undefined) span.end();
        },
      },
    );
  }

  private markReachedLlm(ctx: Context, route?: WorkerRoute): void {
    const call = ctx.getValue(CALL) as CallState | undefined;
    if (call === undefined) return;
    call.reachedLlm = true;
    if (route?.kind !== 'worker') return;
    // In one process the LLM always holds the generation's prefix: an affinity hit by construction.
    call.span.setAttributes({ 'relay.queue_wait_ms': this.now() - call.startedAt, 'relay.worker_id': route.workerId, 'relay.affinity_hit': true });
  }

  private finishCall(state: GenerationState, callIndex: number, tokensWritten?: number): void {
    const call = state.calls.get(callIndex);
    if (call === undefined) return;
    state.calls.delete(callIndex);
    if (tokensWritten !== undefined) call.span.setAttribute('relay.tokens_written', tokensWritten);
    call.span.end();
  }

  private observeStage(stage: HandoffStage, ms: number): void {
    this.metrics?.handoffSeconds.observe({ stage }, Math.max(0, ms) / 1000);
  }
}

