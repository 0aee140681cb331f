import { DEFAULT_RETRY_POLICY, RemoteEngine, type RemoteEngineObserver } from '@relayllm/relay-cluster';
import { ScriptedTransportFake } from '@relayllm/relay-cluster/testing';
import { RelayError, ResourceExhaustedReason, UnavailableReason, type EngineRequest } from '@relayllm/relay-core';
import { BrokerMetrics, FaultMetrics } from './fault-metrics';
import { createMetricsRegistry } from './metrics';
import { sampleValue } from './prometheus-text';

const WORKERS = [
  { workerId: 'w1', activeSequences: 0, maxSequences: 2 },
  { workerId: 'w2', activeSequences: 0, maxSequences: 2 },
  { workerId: 'w3', activeSequences: 0, maxSequences: 2 },
];
const REQUEST: EngineRequest = {
  sequenceId: 'g1:llm',
  turn: 0,
  context: { text: 'Q:' },
  maxTokens: 4,
  appendOnly: false,
  sampling: {},
  stopTokens: [],
  stop: [],
  bannedTokens: [],
};
const gone = RelayError.unavailable(UnavailableReason.LLM_WORKER_GONE, 'the worker left');

async function drain(engine: RemoteEngine): Promise<string> {
  let text = '';
  for await (const chunk of engine.generate(REQUEST, new AbortController().signal)) text += chunk.text;
  return text;
}

function engineWith(script: ConstructorParameters<typeof ScriptedTransportFake>[1], observer: RemoteEngineObserver): RemoteEngine {
  return new RemoteEngine(new ScriptedTransportFake(WORKERS, script), { observer });
}

describe('fault counters', () => {
  it('counts an LLM attempt that failed mid-call and was reissued, by its reason; the SLM counter stays', async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const faults = new FaultMetrics(registry);
    const text = await drain(engineWith([{ texts: ['a'], error: gone }, { texts: ['b'] }], faults.remoteEngineObserver('llm')));
    expect(text).toBe('ab');
    const scrape = await registry.metrics();
    expect(sampleValue(scrape, 'relayllm_llm_reissues_total', { reason: UnavailableReason.LLM_WORKER_GONE })).toBe(1);
    expect(sampleValue(scrape, 'relayllm_slm_failovers_total')).toBeUndefined();
  });

  it('counts SLM failovers under their own name, one per failed attempt that the generate survived', async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const faults = new FaultMetrics(registry);
    const full = RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, 'full');
    await drain(engineWith([{ error: full }, { texts: ['x'], error: gone }, { texts: ['y'] }], faults.remoteEngineObserver('slm')));
    const scrape = await registry.metrics();
    expect(sampleValue(scrape, 'relayllm_slm_failovers_total', { reason: ResourceExhaustedReason.WORKER_FULL })).toBe(1);
    expect(sampleValue(scrape, 'relayllm_slm_failovers_total', { reason: UnavailableReason.LLM_WORKER_GONE })).toBe(1);
    expect(sampleValue(scrape, 'relayllm_llm_reissues_total')).toBeUndefined();
  });

  it('does not count the failure that ends a generate (that is the generation\'s error)', async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const faults = new FaultMetrics(registry);
    const invalid = RelayError.unavailable(UnavailableReason.LLM_REPLY_INVALID, 'unreadable');
    const engine = new RemoteEngine(new ScriptedTransportFake(WORKERS.slice(0, 1), [{ error: invalid }]), {
      observer: faults.remoteEngineObserver('llm'),
      policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 },
    });
    await expect(drain(engine)).rejects.toBeDefined();
    expect(sampleValue(await registry.metrics(), 'relayllm_llm_reissues_total')).toBeUndefined();
  });

  it('counts each NATS disconnect of the process by role, from 0; reconnects and pings are not losses', async () => {
    const registry = createMetricsRegistry({ service: 'spec', defaultMetrics: false });
    const broker = new BrokerMetrics(registry, 'llm_worker');
    expect(sampleValue(await registry.metrics(), 'relayllm_broker_disconnects_total', { role: 'llm_worker' })).toBe(0);
    for (const type of ['disconnect', 'reconnecting', 'reconnect', 'ping', 'disconnect']) broker.onStatus({ type });
    expect(sampleValue(await registry.metrics(), 'relayllm_broker_disconnects_total', { role: 'llm_worker' })).toBe(2);
  });
});
