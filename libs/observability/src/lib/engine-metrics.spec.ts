import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { RelayError, UnavailableReason, type Engine, type EngineRequest } from '@relayllm/relay-core';
import { meterEngines } from './engine-metrics';
import { createMetricsRegistry } from './metrics';
import { sampleValue } from './prometheus-text';

const request = (sequenceId: string, turn = 0): EngineRequest => ({
  sequenceId,
  turn,
  context: { text: 'Q:' },
  maxTokens: 8,
  appendOnly: false,
  sampling: {},
  stopTokens: [],
  stop: [],
  bannedTokens: [],
});

async function drain(engine: Engine, req: EngineRequest): Promise<void> {
  for await (const chunk of engine.generate(req, new AbortController().signal)) void chunk;
}

describe('the embedded engines, metered like workers', () => {
  it('holds a sequence from its first generate until release, per kind; exports each bound', async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const slmInner = new ScriptedEngine(['ab', 'cd', 'ef'], { mode: 'text' });
    const llmInner = new ScriptedEngine(['X'], { mode: 'text' });
    const { slm, llm } = meterEngines(registry, { slm: slmInner, llm: llmInner }, { slm: 4, llm: undefined });
    await drain(slm, request('g1/slm'));
    await drain(slm, request('g1/slm', 1));
    await drain(slm, request('g2/slm'));
    await drain(llm, request('g1/llm'));
    let text = await registry.metrics();
    expect(sampleValue(text, 'relayllm_worker_active_sequences', { kind: 'slm' })).toBe(2);
    expect(sampleValue(text, 'relayllm_worker_active_sequences', { kind: 'llm' })).toBe(1);
    expect(sampleValue(text, 'relayllm_worker_max_sequences', { kind: 'slm' })).toBe(4);
    // A model with no fixed bound (on a server) has no max sample.
    expect(sampleValue(text, 'relayllm_worker_max_sequences', { kind: 'llm' })).toBeUndefined();

    slm.release('g1/slm');
    llm.release('g1/llm');
    text = await registry.metrics();
    expect(sampleValue(text, 'relayllm_worker_active_sequences', { kind: 'slm' })).toBe(1);
    expect(sampleValue(text, 'relayllm_worker_active_sequences', { kind: 'llm' })).toBe(0);
    // The inner engines are still told.
    expect([slmInner.released, llmInner.released]).toEqual([['g1/slm'], ['g1/llm']]);
  });

  it('counts LLM requests by outcome (ok, the failure\'s kind, cancelled); SLM generates are not relay requests', async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const failure = RelayError.unavailable(UnavailableReason.ENGINE_FAILED, 'boom');
    const llmInner = new ScriptedEngine(['XY', { text: 'Z', failAfterChunks: 0, error: failure }, 'UVW'], { mode: 'text' });
    const { slm, llm } = meterEngines(registry, { slm: new ScriptedEngine(['ab'], { mode: 'text' }), llm: llmInner }, { slm: 1, llm: 1 });
    await drain(slm, request('g/slm'));
    await drain(llm, request('g/llm'));
    await expect(drain(llm, request('g/llm', 1))).rejects.toBe(failure);
    const cut = new AbortController();
    for await (const chunk of llm.generate(request('g/llm', 2), cut.signal)) {
      void chunk;
      cut.abort();
      break;
    }
    const text = await registry.metrics();
    expect(sampleValue(text, 'relayllm_worker_requests_total', { kind: 'llm', outcome: 'ok' })).toBe(1);
    expect(sampleValue(text, 'relayllm_worker_requests_total', { kind: 'llm', outcome: 'unavailable' })).toBe(1);
    expect(sampleValue(text, 'relayllm_worker_requests_total', { kind: 'llm', outcome: 'cancelled' })).toBe(1);
    expect(sampleValue(text, 'relayllm_worker_requests_total', { kind: 'slm' })).toBeUndefined();
  });
});
