import { GenerationStateStore, withGenerationState, type KeyValueStore } from '@relayllm/relay-cluster';
import { REFERENCE_PAIR_PROFILE, runRelay, SystemClock, type RelayRequest, type RelayStreamEvent } from '@relayllm/relay-core';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { startRedisServer, until, type RedisServerHandle } from '@relayllm/testing';
import { CircuitBreakingKeyValueStore } from './circuit-breaking-key-value-store';
import { RedisKeyValueStore } from './redis-key-value-store';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const request = (generationId: string): RelayRequest => ({ generationId, prompt: 'Q:', maxTokens: 40, sampling: { temperature: 0 } });
const clock = new SystemClock();

/** A replica as the orchestrator builds it: its own Redis connection behind the circuit breaker. */
function replica(store: KeyValueStore, owner: string, leaseMs = 60_000): GenerationStateStore {
  return new GenerationStateStore({ store, owner, clock, leaseMs, runningTtlMs: 120_000 });
}

async function collect(stream: AsyncIterable<RelayStreamEvent>): Promise<RelayStreamEvent[]> {
  const events: RelayStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('one owner per generation, on a real redis-server', () => {
  let server: RedisServerHandle;
  const connections: RedisKeyValueStore[] = [];
  let storeB: KeyValueStore;
  let storeC: KeyValueStore;
  let storeA: KeyValueStore;

  beforeAll(async () => {
    server = await startRedisServer();
    for (let i = 0; i < 3; i += 1) connections.push(new RedisKeyValueStore({ url: server.url }));
    const deadline = Date.now() + 10_000;
    while (!connections.every((c) => c.isReady())) {
      if (Date.now() > deadline) throw new Error('redis clients not ready');
      await sleep(20);
    }
    [storeA, storeB, storeC] = connections.map((c) => new CircuitBreakingKeyValueStore(c, { callTimeoutMs: 5_000 }));
  });

  afterAll(async () => {
    for (const connection of connections) await connection.close();
    await server?.stop();
  });

  it('compareAndSet and compareAndDelete act only on the expected value (Lua, atomic)', async () => {
    const [raw] = connections;
    expect(await raw.compareAndSet('relay:state:cas-absent', 'x', 'y', 60_000)).toBe(false);
    expect(await raw.get('relay:state:cas-absent')).toBeUndefined();
    await raw.set('relay:state:cas', 'a', 60_000);
    expect(await raw.compareAndSet('relay:state:cas', 'b', 'c', 60_000)).toBe(false);
    expect(await raw.compareAndSet('relay:state:cas', 'a', 'c', 50)).toBe(true);
    expect(await raw.get('relay:state:cas')).toBe('c');
    await until(async () => (await raw.get('relay:state:cas')) === undefined, 'the new PX ttl to expire the key', 2_000); // the new PX ttl applied
    await raw.set('relay:state:cad', 'a', 60_000);
    expect(await raw.compareAndDelete('relay:state:cad', 'b')).toBe(false);
    expect(await raw.compareAndDelete('relay:state:cad', 'a')).toBe(true);
    expect(await raw.get('relay:state:cad')).toBeUndefined();
    await expect(raw.compareAndSet('k', 'a', 'b', 0)).rejects.toMatchObject({ reason: 'TTL_RANGE' });
  });

  it('two replicas taking over the same dead generations at once: each time exactly one resumes, the other gets REQUEST_ID_IN_USE', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `race-${i}`);
    for (const id of ids) await replica(storeA, 'replica-a', 20).begin(request(id));
    await sleep(50); // replica A "died": its leases lapse
    const rounds = await Promise.all(ids.map((id) => Promise.allSettled([replica(storeB, 'replica-b').begin(request(id)), replica(storeC, 'replica-c').begin(request(id))])));
    for (const outcomes of rounds) {
      expect(outcomes.filter((o) => o.status === 'fulfilled' && o.value.kind === 'resume')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'rejected' && (o.reason as { reason?: string }).reason === 'REQUEST_ID_IN_USE')).toHaveLength(1);
    }
  });

  it('two replicas retrying one dead generation at once: one generates the answer, the other runs no model', async () => {
    const id = 'retry-1';
    await replica(storeA, 'replica-a', 20).begin(request(id));
    await sleep(50);
    const run = (store: KeyValueStore, owner: string) => {
      const slm = new ScriptedEngine(['ab<call>2</call>', 'c</s>'], { mode: 'text' });
      const llm = new ScriptedEngine(['XY'], { mode: 'text' });
      const events = collect(
        withGenerationState(replica(store, owner), request(id), { slm, llm }, (engines) =>
          runRelay({ ...engines, clock, pair: REFERENCE_PAIR_PROFILE }, request(id), new AbortController().signal),
        ),
      );
      return { engines: [slm, llm], events };
    };
    const b = run(storeB, 'replica-b');
    const c = run(storeC, 'replica-c');
    const outcomes = await Promise.allSettled([b.events, c.events]);
    const done = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.map((e) => (e.type === 'text' ? e.text : '')).join('')] : []));
    expect(done).toEqual(['abXYc']);
    expect(outcomes.filter((o) => o.status === 'rejected' && (o.reason as { reason?: string }).reason === 'REQUEST_ID_IN_USE')).toHaveLength(1);
    const loser = outcomes[0].status === 'rejected' ? b : c;
    expect(loser.engines.map((e) => e.requests.length)).toEqual([0, 0]);
    expect(await replica(storeB, 'spec').read(id)).toMatchObject({ status: 'completed' });
  });

  it('the replica a generation was taken from cannot overwrite or delete the new owner\'s record', async () => {
    const id = 'fenced-1';
    const stale = await replica(storeA, 'replica-a', 20).begin(request(id));
    await sleep(50);
    await replica(storeB, 'replica-b').begin(request(id));
    if (stale.kind === 'done') throw new Error('expected a run');
    expect(await stale.run.checkpoint({ turn: 3, responseTokens: 3, transcriptJson: '[]', streamsJson: '[]' })).toBe(false);
    expect(await stale.run.abandon()).toBe(false);
    expect(await replica(storeC, 'spec').read(id)).toMatchObject({ status: 'running', owner: 'replica-b', turn: 0 });
  });
});
