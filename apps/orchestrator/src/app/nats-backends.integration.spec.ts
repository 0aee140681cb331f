import { InMemoryKeyValueStore } from '@relayllm/relay-cluster';
import { SystemClock, type RelayStreamEvent } from '@relayllm/relay-core';
import { startNatsServer, type NatsServerHandle } from '@relayllm/testing';
import { loadConfig } from './config';
import { createLlmPool } from './llm-pool.factory';
import { createNatsBackends } from './nats-backends';
import { RelayOrchestrationService } from './relay-orchestration.service';

/** The production backends over a real nats-server where no worker runs: an outage, not overload. */
describe('RelayOrchestrationService on the NATS backends, no worker (real nats-server)', () => {
  let nats: NatsServerHandle | undefined;
  beforeAll(async () => {
    nats = await startNatsServer();
  }, 30_000);
  afterAll(async () => {
    await nats?.stop();
  });

  async function drain(events: AsyncIterable<RelayStreamEvent>): Promise<void> {
    for await (const event of events) void event;
  }

  it('no SLM worker at all: UNAVAILABLE NO_SLM_WORKER within the grace (+ slack), not the queue wait then RESOURCE_EXHAUSTED', async () => {
    const graceMs = 500;
    const config = loadConfig({}, { natsUrl: (nats as NatsServerHandle).url, redisUrl: 'off', noWorkerGraceMs: String(graceMs), maxQueueWaitMs: '30000' });
    const store = new InMemoryKeyValueStore();
    const backends = await createNatsBackends(config, store, createLlmPool, () => undefined);
    const service = new RelayOrchestrationService(config, { backends, store, clock: new SystemClock(), replicaId: 'outage-spec' });
    try {
      const startedAt = Date.now();
      const request = { generationId: 'no-worker-1', prompt: 'Q', maxTokens: 8 };
      await expect(drain(service.generate(request, new AbortController().signal, { protocol: 'grpc' }))).rejects.toMatchObject({
        kind: 'unavailable',
        reason: 'NO_SLM_WORKER',
      });
      expect(Date.now() - startedAt).toBeLessThan(graceMs + 1_500);
      // Once declared, a new request gets it at once.
      const again = Date.now();
      await expect(drain(service.generate({ ...request, generationId: 'no-worker-2' }, new AbortController().signal, { protocol: 'grpc' }))).rejects.toMatchObject({
        reason: 'NO_SLM_WORKER',
      });
      expect(Date.now() - again).toBeLessThan(graceMs);
    } finally {
      service.dispose();
      await backends.close();
    }
  }, 30_000);
});
