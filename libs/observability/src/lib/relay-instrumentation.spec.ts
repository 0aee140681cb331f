import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OutputCachingEngine, InMemoryKeyValueStore } from '@relayllm/relay-cluster';
import { ManualClock, ScriptedEngine, type ScriptedOutput } from '@relayllm/relay-core/testing';
import { DeadlineExceededReason, InvalidArgumentReason, RelayError, runRelay, UnavailableReason, type RelayRequest, type RelayStreamEvent, REFERENCE_PAIR_PROFILE } from '@relayllm/relay-core';
import { createMetricsRegistry, RelayMetrics } from './metrics';
import { sampleValue } from './prometheus-text';
import { RELAY_SPANS, RelayInstrumentation } from './relay-instrumentation';
import { ENGINE_SPAN, tracedEngine } from './traced-engine';
import { traceFields } from './logger';
import { startTracing, type Tracing } from './tracing';

const TRACING_ON = { enabled: false, exporter: 'otlp', protocol: 'http/protobuf', sampler: 'always_on', samplerRatio: 1 } as const;

async function drain(events: AsyncIterable<RelayStreamEvent>): Promise<RelayStreamEvent[]> {
  const out: RelayStreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan): ReadableSpan[] =>
  spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

describe('RelayInstrumentation (embedded wiring)', () => {
  let exporter: InMemorySpanExporter;
  let tracing: Tracing;

  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    tracing = startTracing(TRACING_ON, { defaultServiceName: 'spec', spanProcessors: [new SimpleSpanProcessor(exporter)], registerGlobal: false });
  });
  afterEach(() => tracing.shutdown());

  /** Two granted calls: `<call>2</call>` twice, then the SLM ends. */
  const TWO_COMMANDS = ['ab<call>2</call>', 'c<call>3</call>', 'd</s>'];

  function embedded(metrics?: RelayMetrics, slmOutputs: ScriptedOutput[] | string[] = TWO_COMMANDS) {
    const instrumentation = new RelayInstrumentation({ tracer: tracing.tracer, metrics });
    const slm = new ScriptedEngine(slmOutputs, { mode: 'text' });
    const llm = new ScriptedEngine(['XY', 'UVW'], { mode: 'text' });
    const deps = {
      slm: instrumentation.slm(tracedEngine(slm, { tracer: tracing.tracer, kind: 'slm' })),
      llm: instrumentation.llmEngine(tracedEngine(llm, { tracer: tracing.tracer, kind: 'llm' })),
      clock: new ManualClock(),
      pair: REFERENCE_PAIR_PROFILE,
    };
    const run = (request: RelayRequest) =>
      instrumentation.generate(() => runRelay(deps, request, new AbortController().signal), request);
    return { run };
  }

  it('builds one trace: relay.generate > slm.segment / relay.call > llm.generate > engine.generate, with the call attributes', async () => {
    const events = await drain(embedded().run({ generationId: 'g1', prompt: 'Q:', maxTokens: 40 }));
    expect(events.at(-1)).toMatchObject({ type: 'completed', usage: { calls: 2 } });

    const spans = exporter.getFinishedSpans();
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
    const roots = spans.filter((s) => s.name === RELAY_SPANS.generate);
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'relay.calls': 2, 'relay.finish_reason': 'eos' });

    const top = childrenOf(spans, root);
    expect(top.filter((s) => s.name === RELAY_SPANS.segment)).toHaveLength(3);
    const calls = top.filter((s) => s.name === RELAY_SPANS.call).sort((a, b) => Number(a.attributes['relay.call_index']) - Number(b.attributes['relay.call_index']));
    expect(calls.map((c) => c.attributes)).toEqual([
      expect.objectContaining({ 'relay.call_index': 0, 'relay.requested_n': 2, 'relay.granted_n': 2, 'relay.tokens_written': 2, 'relay.cache_hit': false, 'relay.worker_id': 'embedded' }),
      expect.objectContaining({ 'relay.call_index': 1, 'relay.requested_n': 3, 'relay.granted_n': 3, 'relay.tokens_written': 3, 'relay.cache_hit': false }),
    ]);
    for (const call of calls) {
      expect(call.attributes['relay.queue_wait_ms']).toEqual(expect.any(Number));
      const [llmGenerate, ...rest] = childrenOf(spans, call);
      expect(rest).toHaveLength(0);
      expect(llmGenerate?.name).toBe(RELAY_SPANS.llmGenerate);
      const engineSpans = childrenOf(spans, llmGenerate!);
      expect(engineSpans.map((s) => s.name)).toEqual([ENGINE_SPAN]);
      expect(engineSpans[0]?.attributes).toMatchObject({ 'relay.model': 'llm', 'engine.decode.tokens': call.attributes['relay.tokens_written'] });
      expect(engineSpans[0]?.attributes['engine.prefill.evaluated_tokens']).toEqual(expect.any(Number));
    }
    for (const segment of top.filter((s) => s.name === RELAY_SPANS.segment)) {
      expect(childrenOf(spans, segment).map((s) => s.name)).toEqual([ENGINE_SPAN]);
    }
  });

  it('keeps concurrent generations apart (each its own trace)', async () => {
    const a = embedded();
    const b = embedded();
    await Promise.all([drain(a.run({ generationId: 'ga', prompt: 'Q:', maxTokens: 40 })), drain(b.run({ generationId: 'gb', prompt: 'Q:', maxTokens: 40 }))]);
    const spans = exporter.getFinishedSpans();
    const traces = new Set(spans.map((s) => s.spanContext().traceId));
    expect(traces.size).toBe(2);
    for (const traceId of traces) {
      const own = spans.filter((s) => s.spanContext().traceId === traceId);
      expect(own.filter((s) => s.name === RELAY_SPANS.call)).toHaveLength(2);
      expect(own.filter((s) => s.name === RELAY_SPANS.generate)).toHaveLength(1);
    }
  });

  it('counts generations, tokens by source, calls and handoffs in the metrics', async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const metrics = new RelayMetrics(registry);
    const relay = embedded(metrics);
    await drain(relay.run({ generationId: 'm1', prompt: 'Q:', maxTokens: 40 }));
    const text = await registry.metrics();
    expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'eos' })).toBe(1);
    expect(sampleValue(text, 'relayllm_tokens_total', { source: 'llm' })).toBe(5);
    expect(sampleValue(text, 'relayllm_calls_per_generation_count')).toBe(1);
    expect(sampleValue(text, 'relayllm_calls_per_generation_sum')).toBe(2);
    expect(sampleValue(text, 'relayllm_calls_total', { origin: 'command' })).toBe(2);
    expect(sampleValue(text, 'relayllm_calls_total', { origin: 'floor' })).toBe(0);
    expect(sampleValue(text, 'relayllm_handoff_seconds_count', { stage: 'first_token' })).toBe(2);
    expect(sampleValue(text, 'relayllm_handoff_seconds_count', { stage: 'resume' })).toBe(2);
    expect(sampleValue(text, 'relayllm_llm_queue_depth')).toBe(0);
  });

  it("labels a confidence floor's call as such, on its span and in the calls counter", async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    // No command: the floor hands the unsure "b" to the LLM (2 tokens), then the SLM ends.
    const slmOutputs = [{ text: 'ab', probabilities: [0.9, 0.2] }, { text: 'c</s>', probabilities: [0.9] }];
    const relay = embedded(new RelayMetrics(registry), slmOutputs);
    await drain(relay.run({ generationId: 'f1', prompt: 'Q:', maxTokens: 40, confidenceFloor: { threshold: 0.5, callTokens: 2 } }));
    const calls = exporter.getFinishedSpans().filter((s) => s.name === RELAY_SPANS.call);
    expect(calls.map((s) => [s.attributes['relay.call_origin'], s.attributes['relay.requested_n']])).toEqual([['floor', 2]]);
    const text = await registry.metrics();
    expect([sampleValue(text, 'relayllm_calls_total', { origin: 'floor' }), sampleValue(text, 'relayllm_calls_total', { origin: 'command' })]).toEqual([1, 0]);
  });

  it('labels the per-generation series with the protocol the generation arrived on', async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const instrumentation = new RelayInstrumentation({ tracer: tracing.tracer, metrics: new RelayMetrics(registry) });
    const deps = () => ({ slm: new ScriptedEngine(['a<call>2</call>', 'b</s>'], { mode: 'text' }), llm: new ScriptedEngine(['XY'], { mode: 'text' }), clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE });
    const request: RelayRequest = { generationId: 'p', prompt: 'Q:', maxTokens: 40 };
    await drain(instrumentation.observe(() => runRelay(deps(), request, new AbortController().signal), request, { protocol: 'http' }, new AbortController().signal));
    const failing = (): AsyncIterable<RelayStreamEvent> => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(RelayError.unavailable(UnavailableReason.MODELS_NOT_DESCRIBED, 'not yet')) }),
    });
    await expect(drain(instrumentation.observe(failing, request, { protocol: 'http' }, new AbortController().signal))).rejects.toMatchObject({ kind: 'unavailable' });
    await drain(instrumentation.observe(() => runRelay(deps(), request, new AbortController().signal), request, { protocol: 'grpc' }, new AbortController().signal));
    const text = await registry.metrics();
    for (const protocol of ['http', 'grpc']) {
      expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'eos', protocol })).toBe(1);
      expect(sampleValue(text, 'relayllm_tokens_total', { source: 'llm', protocol })).toBe(2);
      expect(sampleValue(text, 'relayllm_calls_per_generation_count', { protocol })).toBe(1);
      expect(sampleValue(text, 'relayllm_llm_token_ratio_count', { protocol })).toBe(1);
    }
    expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'eos', protocol: 'cli' })).toBe(0);
    expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'error', protocol: 'http' })).toBe(1);
    expect(sampleValue(text, 'relayllm_errors_total', { kind: 'unavailable', protocol: 'http' })).toBe(1);
    expect(sampleValue(text, 'relayllm_errors_total', { kind: 'unavailable', protocol: 'grpc' })).toBeUndefined();
  });

  it('gives bad input and deadlines their own outcome, keeps cancelled runs out of ρ and calls, and labels those by policy', async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const instrumentation = new RelayInstrumentation({ tracer: tracing.tracer, metrics: new RelayMetrics(registry) });
    const deps = () => ({ slm: new ScriptedEngine(['a<call>2</call>', 'b</s>'], { mode: 'text' }), llm: new ScriptedEngine(['XY'], { mode: 'text' }), clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE });
    const failingWith = (error: RelayError) => (): AsyncIterable<RelayStreamEvent> => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }) });
    const request: RelayRequest = { generationId: 'o', prompt: 'Q:', maxTokens: 40 };
    const caller = { protocol: 'grpc' } as const;
    const rejected = RelayError.invalidArgument(InvalidArgumentReason.MAX_TOKENS_RANGE, 'max_tokens must be at least 1', 'maxTokens');
    await expect(drain(instrumentation.observe(failingWith(rejected), request, caller, new AbortController().signal))).rejects.toBe(rejected);
    const late = RelayError.deadlineExceeded(DeadlineExceededReason.REQUEST_TIMEOUT, 'too slow');
    await expect(drain(instrumentation.observe(failingWith(late), request, caller, new AbortController().signal))).rejects.toBe(late);
    const aborted = new AbortController();
    aborted.abort();
    const cancelled = await drain(instrumentation.observe(() => runRelay(deps(), request, aborted.signal), request, caller, aborted.signal));
    expect(cancelled.at(-1)).toMatchObject({ type: 'completed', finishReason: 'cancelled' });
    // The caller's deadline cut this one: it ends as `cancelled` too, but counts as deadline_exceeded.
    const expired = new AbortController();
    expired.abort(RelayError.deadlineExceeded(DeadlineExceededReason.DEADLINE_EXCEEDED, 'the call deadline passed'));
    const cut = await drain(instrumentation.observe(() => runRelay(deps(), request, expired.signal), request, caller, expired.signal));
    expect(cut.at(-1)).toMatchObject({ type: 'completed', finishReason: 'cancelled' });
    await drain(instrumentation.observe(() => runRelay(deps(), request, new AbortController().signal), request, caller, new AbortController().signal));
    const llmOnly: RelayRequest = { ...request, policy: 'LLM_ONLY' };
    await drain(instrumentation.observe(() => runRelay(deps(), llmOnly, new AbortController().signal), llmOnly, caller, new AbortController().signal));
    const text = await registry.metrics();
    expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'invalid_argument', protocol: 'grpc' })).toBe(1);
    expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'deadline_exceeded', protocol: 'grpc' })).toBe(2);
    expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'cancelled', protocol: 'grpc' })).toBe(1);
    expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'error', protocol: 'grpc' })).toBe(0);
    for (const name of ['relayllm_llm_token_ratio_count', 'relayllm_calls_per_generation_count']) {
      expect(sampleValue(text, name, { policy: 'RELAY', protocol: 'grpc' })).toBe(1);
      expect(sampleValue(text, name, { policy: 'LLM_ONLY', protocol: 'grpc' })).toBe(1);
    }
    expect(sampleValue(text, 'relayllm_llm_token_ratio_sum', { policy: 'LLM_ONLY' })).toBe(1);
  });

  it('marks an output-cache hit (the call never reached the pool behind the cache)', async () => {
    const instrumentation = new RelayInstrumentation({ tracer: tracing.tracer });
    const store = new InMemoryKeyValueStore();
    const makeDeps = () => ({
      slm: instrumentation.slm(new ScriptedEngine(['a<call>2</call>', 'b</s>'], { mode: 'text' })),
      llm: instrumentation.llmPool(new OutputCachingEngine(instrumentation.llmWorkerProbe(new ScriptedEngine(['XY'], { mode: 'text' })), { store, model: 'llm' })),
      clock: new ManualClock(),
      pair: REFERENCE_PAIR_PROFILE,
    });
    const request: RelayRequest = { generationId: 'c', prompt: 'Q:', maxTokens: 40, sampling: { temperature: 0 } };
    await drain(instrumentation.generate(() => runRelay(makeDeps(), request, new AbortController().signal), request));
    await new Promise((resolve) => setImmediate(resolve));
    await drain(instrumentation.generate(() => runRelay(makeDeps(), { ...request, generationId: 'c2' }, new AbortController().signal), request));
    const calls = exporter.getFinishedSpans().filter((s) => s.name === RELAY_SPANS.call);
    expect(calls.map((c) => c.attributes['relay.cache_hit'])).toEqual([false, true]);
  });

  it('logs one line per generation inside its span; prompt and answer only with the content flag', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = (logContent: boolean) => ({
      logContent,
      info: (fields: object, msg: string) => void lines.push({ ...fields, ...traceFields(), msg }),
      warn: (fields: object, msg: string) => void lines.push({ ...fields, ...traceFields(), msg }),
    });
    for (const logContent of [false, true]) {
      const instrumentation = new RelayInstrumentation({ tracer: tracing.tracer, logger: logger(logContent) });
      const deps = { slm: instrumentation.slm(new ScriptedEngine(['ab</s>'], { mode: 'text' })), llm: new ScriptedEngine([]), clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE };
      const request: RelayRequest = { generationId: `log-${logContent}`, prompt: 'secret question', maxTokens: 40 };
      await drain(instrumentation.generate(() => runRelay(deps, request, new AbortController().signal), request));
    }
    const root = exporter.getFinishedSpans().filter((s) => s.name === RELAY_SPANS.generate);
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'generation finished', generation_id: 'log-false', finish_reason: 'eos', prompt_chars: 15, output_chars: 2, trace_id: root[0]?.spanContext().traceId }),
      expect.objectContaining({ msg: 'generation finished', generation_id: 'log-true', prompt: 'secret question', output: 'ab', trace_id: root[1]?.spanContext().traceId }),
    ]);
    expect(lines[0]).not.toHaveProperty('prompt');
  });

  it('records a failed generation on the root span', async () => {
    const instrumentation = new RelayInstrumentation({ tracer: tracing.tracer });
    const slm = new ScriptedEngine([{ text: 'ab', failAfterChunks: 1, error: new Error('boom') }], { mode: 'text' });
    const request: RelayRequest = { generationId: 'f', prompt: 'Q:', maxTokens: 40 };
    await expect(drain(instrumentation.generate(() => runRelay({ slm: instrumentation.slm(slm), llm: slm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal), request))).rejects.toThrow();
    const root = exporter.getFinishedSpans().find((s) => s.name === RELAY_SPANS.generate);
    expect(root?.status.code).toBe(2);
    expect(root?.attributes['relay.error_kind']).toBe('unavailable');
  });
});

describe('wrapped engines stay the engine for the host', () => {
  it('forward start, release and close to the engine they wrap', async () => {
    const tracer = startTracing(TRACING_ON, { defaultServiceName: 'spec', registerGlobal: false }).tracer;
    const instrumentation = new RelayInstrumentation({ tracer });
    const inner = new ScriptedEngine([]);
    const wrapped = instrumentation.llmPool(instrumentation.slm(tracedEngine(inner, { tracer, kind: 'slm' })));
    await wrapped.start();
    wrapped.release('g/slm');
    await wrapped.close();
    expect([inner.started, inner.released, inner.closeCount]).toEqual([true, ['g/slm'], 1]);
  });
});
