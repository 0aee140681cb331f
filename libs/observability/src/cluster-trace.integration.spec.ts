/**
 * Across processes: `npm run cluster`'s processes (orchestrator, one SLM
 * worker, two LLM workers on the reference models, via libs/testing's
 * startLocalCluster) with the standard OTEL_* variables pointing at a test
 * OTLP/HTTP JSON receiver. One generation with two LLM calls under a client
 * traceparent must arrive as one trace with the right parents and the
 * relay.call attributes; every process's /metrics moves, passes `promtool
 * check metrics`, and answers every query of the Grafana dashboard.
 */
import { Metadata } from '@grpc/grpc-js';
import { createRelayClient, type RelayClient } from '@relayllm/grpc-api';
import { FinishReason } from '@relayllm/proto';
import {
  METRICS_FILLER_PROMPTS,
  startLocalCluster,
  startNatsServer,
  TWO_CALL_PROMPT,
  type AppProcessHandle,
  type LocalClusterHandle,
  type NatsServerHandle,
} from '@relayllm/testing';
import { randomBytes } from 'crypto';
import { sampleValue } from './lib/prometheus-text';
import { dashboardPanels, promtoolCheckMetrics, readExposition, startOtlpJsonReceiver, unansweredSeries, type OtlpJsonReceiver, type ReceivedSpan } from './testing';

jest.setTimeout(300_000);

const metricsPortOf = (p: AppProcessHandle): number => {
  const match = / metrics=(\d+)/.exec(p.output());
  if (match === null) throw new Error(`${p.name} printed no metrics port:\n${p.output()}`);
  return Number(match[1]);
};
const scrape = async (p: AppProcessHandle): Promise<string> => (await fetch(`http://127.0.0.1:${metricsPortOf(p)}/metrics`)).text();

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a trace across orchestrator, SLM worker and LLM worker processes', () => {
  let nats: NatsServerHandle | undefined;
  let receiver: OtlpJsonReceiver | undefined;
  let cluster: LocalClusterHandle | undefined;
  let client: RelayClient | undefined;

  beforeAll(async () => {
    nats = await startNatsServer();
    receiver = await startOtlpJsonReceiver();
    cluster = await startLocalCluster({
      natsUrl: nats.url,
      redisUrl: 'off',
      slmWorkers: 1,
      llmWorkers: 2,
      slmSequences: 1,
      llmSequences: 1,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_always_on',
        RELAYLLM_METRICS_PORT: '0',
      },
    });
    client = createRelayClient(cluster.address);
    await client.waitForReady(10_000);
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
    await receiver?.close();
    await nats?.stop();
  });

  it('one trace id, correct parents, the relay.call attributes; /metrics counters move', async () => {
    const [orchestrator, slmWorker, ...llmWorkers] = [cluster!.orchestrator, cluster!.slmWorkers[0]!, ...cluster!.llmWorkers];
    const before = await scrape(orchestrator);

    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${traceId}-${clientSpanId}-01`);
    const response = await client!.generate({ prompt: TWO_CALL_PROMPT, maxTokens: 128, temperature: 0, requestId: 'trace-1' }, { metadata });
    const calls = response.usage?.calls ?? 0;
    expect(calls).toBeGreaterThanOrEqual(2);
    for (const [i, prompt] of METRICS_FILLER_PROMPTS.entries()) await client!.generate({ prompt, maxTokens: 64, temperature: 0, requestId: `m-${i}` });

    // /metrics of every process, while they run.
    const after = await scrape(orchestrator);
    const moved = (name: string, labels: Record<string, string> = {}): number => (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
    const generations = ['eos', 'llm_eos', 'length', 'stop'].reduce((sum, outcome) => sum + moved('relayllm_generations_total', { outcome }), 0);
    expect(generations).toBe(1 + METRICS_FILLER_PROMPTS.length);
    expect(moved('relayllm_tokens_total', { source: 'llm' })).toBeGreaterThan(0);
    expect(moved('relayllm_tokens_total', { source: 'slm' })).toBeGreaterThan(0);
    expect(moved('relayllm_calls_per_generation_count')).toBe(1 + METRICS_FILLER_PROMPTS.length);
    expect(moved('relayllm_calls_per_generation_sum')).toBeGreaterThanOrEqual(calls);
    expect(moved('relayllm_handoff_seconds_count', { stage: 'first_token' })).toBeGreaterThanOrEqual(calls);
    // Cache misses reach the pool: each has a route and a publish stage; every call resumes the SLM or ends.
    expect(moved('relayllm_handoff_seconds_count', { stage: 'route' })).toBeGreaterThanOrEqual(calls);
    expect(moved('relayllm_handoff_seconds_count', { stage: 'publish' })).toBe(moved('relayllm_handoff_seconds_count', { stage: 'route' }));
    expect(sampleValue(after, 'relayllm_llm_queue_depth')).toBe(0);
    // Temperature 0: every call is looked up in the output cache (first time: misses); each answered call counts by affinity.
    expect(moved('relayllm_output_cache_lookups_total', { result: 'miss' })).toBeGreaterThanOrEqual(calls);
    const relays = ['hit', 'miss', 'none'].reduce((sum, affinity) => sum + moved('relayllm_llm_relays_total', { affinity }), 0);
    expect(relays).toBe(moved('relayllm_output_cache_lookups_total', { result: 'miss' }));
    expect(moved('relayllm_errors_total')).toBe(0);
    const llmServed = (await Promise.all(llmWorkers.map(scrape))).reduce((sum, text) => sum + (sampleValue(text, 'relayllm_worker_requests_total', { kind: 'llm', outcome: 'ok' }) ?? 0), 0);
    expect(llmServed).toBeGreaterThanOrEqual(calls);
    const slmText = await scrape(slmWorker);
    expect(sampleValue(slmText, 'relayllm_engine_tokens_total', { kind: 'slm', phase: 'decode' })).toBeGreaterThan(0);
    expect(sampleValue(slmText, 'relayllm_worker_active_sequences', { kind: 'slm' })).toBe(0);
    // Each process's broker connection is counted from 0 (none was lost).
    expect(sampleValue(after, 'relayllm_broker_disconnects_total', { role: 'orchestrator' })).toBe(0);
    expect(sampleValue(slmText, 'relayllm_broker_disconnects_total', { role: 'slm_worker' })).toBe(0);
    // Prometheus' linter accepts every app's /metrics; every dashboard query has data from the cluster.
    const texts = [after, slmText, ...(await Promise.all(llmWorkers.map(scrape)))];
    for (const text of texts) expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
    expect(unansweredSeries(dashboardPanels(), readExposition(...texts), 'sampled')).toEqual([]);

    // SIGTERM flushes every process's span exporter.
    await cluster!.stop();
    const spans = (): ReceivedSpan[] => receiver!.spans.filter((s) => s.traceId === traceId);
    await waitFor(() => spans().filter((s) => s.name === 'llm.generate').length >= calls && spans().some((s) => s.name === 'relay.generate'), 'the spans of the traced generation');

    const mine = spans();
    const byId = new Map(mine.map((s) => [s.spanId, s]));
    const childrenOf = (parent: ReceivedSpan): ReceivedSpan[] => mine.filter((s) => s.parentSpanId === parent.spanId);
    const roots = mine.filter((s) => s.name === 'relay.generate');
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    expect(root).toMatchObject({ service: 'relayllm-orchestrator', parentSpanId: clientSpanId });
    expect(root.attributes).toMatchObject({ 'relay.calls': calls });

    const segments = childrenOf(root).filter((s) => s.name === 'slm.segment');
    // One SLM run before each call, and one after the last unless the LLM ended the generation.
    expect(segments.length).toBe(response.finishReason === FinishReason.FINISH_REASON_LLM_EOS ? calls : calls + 1);
    for (const segment of segments) {
      const engine = childrenOf(segment).filter((s) => s.name === 'engine.generate');
      expect(engine).toHaveLength(1);
      expect(engine[0]).toMatchObject({ service: 'relayllm-slm-worker', attributes: expect.objectContaining({ 'relay.model': 'slm' }) });
      expect(engine[0]!.attributes['engine.decode.tokens']).toEqual(expect.any(Number));
    }

    const relayCalls = childrenOf(root).filter((s) => s.name === 'relay.call');
    expect(relayCalls.map((c) => c.attributes['relay.call_index']).sort()).toEqual(Array.from({ length: calls }, (_, i) => i));
    for (const call of relayCalls) {
      expect(call.service).toBe('relayllm-orchestrator');
      expect(call.attributes).toEqual(
        expect.objectContaining({
          'relay.requested_n': expect.any(Number),
          'relay.granted_n': expect.any(Number),
          'relay.tokens_written': expect.any(Number),
          'relay.cache_hit': false,
          'relay.affinity_hit': expect.any(Boolean),
          'relay.worker_id': expect.stringMatching(/^llm-\d$/),
          'relay.queue_wait_ms': expect.any(Number),
        }),
      );
      const onWorker = childrenOf(call).filter((s) => s.name === 'llm.generate');
      expect(onWorker).toHaveLength(1);
      expect(onWorker[0]).toMatchObject({ service: 'relayllm-llm-worker', attributes: expect.objectContaining({ 'relay.worker_id': call.attributes['relay.worker_id'] }) });
      const engine = childrenOf(onWorker[0]!).filter((s) => s.name === 'engine.generate');
      expect(engine).toHaveLength(1);
      expect(engine[0]!.attributes).toEqual(
        expect.objectContaining({ 'relay.model': 'llm', 'engine.prefill.evaluated_tokens': expect.any(Number), 'engine.prefill.reused_tokens': expect.any(Number), 'engine.decode.tokens': expect.any(Number) }),
      );
    }
    // Logs: the orchestrator's JSON line for this generation carries its trace id, and no prompt text.
    const logLine = cluster!.orchestrator
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line['msg'] === 'generation finished' && line['generation_id'] === 'trace-1');
    expect(logLine).toMatchObject({ trace_id: traceId, span_id: root.spanId, calls, service: 'relayllm-orchestrator' });
    expect(logLine).not.toHaveProperty('prompt');
    // Every span of the trace hangs off the client's span through known parents.
    for (const span of mine) {
      if (span === root) continue;
      expect(byId.has(span.parentSpanId ?? '')).toBe(true);
    }
  });
});
