/** Its own file: no earlier spec in this process has installed a context manager. */
import { ManualClock, ScriptedEngine } from '@relayllm/relay-core/testing';
import { runRelay, type RelayRequest, type RelayStreamEvent, REFERENCE_PAIR_PROFILE } from '@relayllm/relay-core';
import { createMetricsRegistry, RelayMetrics } from './metrics';
import { sampleValue } from './prometheus-text';
import { RelayInstrumentation } from './relay-instrumentation';
import { startTracing } from './tracing';

const TRACING_OFF = { enabled: false, exporter: 'otlp', protocol: 'http/protobuf', sampler: 'always_on', samplerRatio: 1 } as const;

async function drain(events: AsyncIterable<RelayStreamEvent>): Promise<RelayStreamEvent[]> {
  const out: RelayStreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('metrics without tracing', () => {
  it('counts resume and first-token handoffs with the no-op tracer (state in the context)', async () => {
    const off = startTracing(TRACING_OFF, { defaultServiceName: 'spec', registerGlobal: false });
    expect(off.enabled).toBe(false);
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const instrumentation = new RelayInstrumentation({ tracer: off.tracer, metrics: new RelayMetrics(registry) });
    const deps = {
      slm: instrumentation.slm(new ScriptedEngine(['ab<call>2</call>', 'c</s>'], { mode: 'text' })),
      llm: instrumentation.llmEngine(new ScriptedEngine(['XY'], { mode: 'text' })),
      clock: new ManualClock(),
      pair: REFERENCE_PAIR_PROFILE,
    };
    const request: RelayRequest = { generationId: 'n', prompt: 'Q:', maxTokens: 40 };
    await drain(instrumentation.generate(() => runRelay(deps, request, new AbortController().signal), request));
    const text = await registry.metrics();
    expect(sampleValue(text, 'relayllm_handoff_seconds_count', { stage: 'resume' })).toBe(1);
    expect(sampleValue(text, 'relayllm_handoff_seconds_count', { stage: 'first_token' })).toBe(1);
    expect(sampleValue(text, 'relayllm_generations_total', { outcome: 'eos' })).toBe(1);
  });
});

