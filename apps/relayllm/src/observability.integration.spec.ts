import { referenceModels } from '@relayllm/relay-core';
/**
 * Embedded mode, observed as `relayllm serve` wires it (createObservedEmbeddedRelay
 * behind the real gRPC server), on scripted engines: the span tree of a
 * generation with two calls under the client's traceparent, and /metrics
 * scraped over HTTP after a few generations.
 */
import { Metadata } from '@grpc/grpc-js';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createRelayClient, createRelayGrpcServer, type RelayClient, type RelayGrpcServer } from '@relayllm/grpc-api';
import { RelayMetrics, sampleValue, startAppObservability, type AppObservability } from '@relayllm/observability';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { loadObservabilityConfig } from './app/config';
import { createObservedEmbeddedRelay } from './app/embedded-observability';

const GENERATIONS = 3;
const CLIENT_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN_ID = 'b7ad6b7169203331';

describe('embedded mode: traces and metrics', () => {
  const exporter = new InMemorySpanExporter();
  let observability: AppObservability;
  let server: RelayGrpcServer;
  let client: RelayClient;

  beforeAll(async () => {
    // /metrics on any free port; tracing on only through the in-memory processor.
    const config = loadObservabilityConfig({ RELAYLLM_METRICS_PORT: '0', RELAYLLM_LOG_LEVEL: 'silent' });
    observability = await startAppObservability(config, { service: 'relayllm', spanProcessors: [new SimpleSpanProcessor(exporter)], registerGlobal: false });
    // Each generation: the SLM writes two granted commands, the LLM answers each.
    const slm = new ScriptedEngine(Array.from({ length: GENERATIONS }, () => ['ab<call>2</call>', 'c<call>3</call>', 'd</s>']).flat(), { mode: 'text' });
    const llm = new ScriptedEngine(Array.from({ length: GENERATIONS }, () => ['XY', 'UVW']).flat(), { mode: 'text' });
    const relay = createObservedEmbeddedRelay({ slm, llm, models: referenceModels(4096) }, { maxTokensLimit: 256, requestTimeoutMs: 30_000, defaultMaxTurns: 5, defaultConfidenceFloor: 0 }, {
      tracing: observability.tracing,
      metrics: new RelayMetrics(observability.registry),
    });
    server = createRelayGrpcServer({ relay });
    const port = await server.listen('127.0.0.1:0');
    client = createRelayClient(`127.0.0.1:${port}`);
    await client.waitForReady();
  });

  afterAll(async () => {
    client?.close();
    await server?.close(1_000);
    await observability?.shutdown();
  });

  const scrape = async (): Promise<string> => (await fetch(`http://127.0.0.1:${observability.metricsServer!.port}/metrics`)).text();

  it('one trace per generation under the client span: relay.generate > slm.segment x3, relay.call x2 > llm.generate > engine.generate', async () => {
    const before = await scrape();
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`);
    const response = await client.generate({ prompt: 'Q:', maxTokens: 40, requestId: 'traced-1' }, { metadata });
    expect(response.usage?.calls).toBe(2);

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === CLIENT_TRACE_ID);
    const byParent = (parent: ReadableSpan): ReadableSpan[] => spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
    const root = spans.find((s) => s.name === 'relay.generate');
    expect(root?.parentSpanContext?.spanId).toBe(CLIENT_SPAN_ID);
    const children = byParent(root!);
    expect(children.filter((s) => s.name === 'slm.segment')).toHaveLength(3);
    const calls = children.filter((s) => s.name === 'relay.call');
    expect(calls.map((c) => [c.attributes['relay.call_index'], c.attributes['relay.requested_n'], c.attributes['relay.granted_n'], c.attributes['relay.tokens_written']]).sort()).toEqual([
      [0, 2, 2, 2],
      [1, 3, 3, 3],
    ]);
    for (const call of calls) {
      expect(call.attributes).toMatchObject({ 'relay.cache_hit': false, 'relay.affinity_hit': true, 'relay.worker_id': 'embedded' });
      const [llmGenerate] = byParent(call);
      expect(llmGenerate?.name).toBe('llm.generate');
      expect(byParent(llmGenerate!).map((s) => s.name)).toEqual(['engine.generate']);
    }
    // The metric for this generation moved by one.
    const after = await scrape();
    expect((sampleValue(after, 'relayllm_generations_total', { outcome: 'eos' }) ?? 0) - (sampleValue(before, 'relayllm_generations_total', { outcome: 'eos' }) ?? 0)).toBe(1);
  });

  it('/metrics counts generations, tokens by source, calls and handoffs after a few generations', async () => {
    const before = await scrape();
    const value = (text: string, name: string, labels: Record<string, string> = {}): number => sampleValue(text, name, labels) ?? 0;
    for (let i = 0; i < GENERATIONS - 1; i++) await client.generate({ prompt: 'Q:', maxTokens: 40, requestId: `m-${i}` });
    const after = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}): number => value(after, name, labels) - value(before, name, labels);
    expect(moved('relayllm_generations_total', { outcome: 'eos' })).toBe(2);
    expect(moved('relayllm_tokens_total', { source: 'llm' })).toBe(10);
    expect(moved('relayllm_tokens_total', { source: 'slm' })).toBeGreaterThan(0);
    expect(moved('relayllm_calls_per_generation_sum')).toBe(4);
    expect(moved('relayllm_handoff_seconds_count', { stage: 'first_token' })).toBe(4);
    expect(moved('relayllm_handoff_seconds_count', { stage: 'resume' })).toBe(4);
    expect(value(after, 'relayllm_llm_queue_depth')).toBe(0);
    expect(moved('relayllm_errors_total')).toBe(0);
    // The engines run in this process: their series, as the workers export them in a cluster.
    expect(moved('relayllm_worker_requests_total', { kind: 'llm', outcome: 'ok' })).toBe(4);
    expect(moved('relayllm_engine_tokens_total', { kind: 'llm', phase: 'decode' })).toBe(10);
    expect([value(after, 'relayllm_worker_active_sequences', { kind: 'slm' }), value(after, 'relayllm_worker_active_sequences', { kind: 'llm' })]).toEqual([0, 0]);
    // Bounded labels: no request ids or prompt text anywhere in the exposition.
    expect(after).not.toContain('m-0');
    expect(after).not.toContain('Q:');
  });
});
