import { Redis } from 'ioredis';
import { storeKey } from '@relayllm/relay-cluster';
import { startRedisServer, type RedisServerHandle } from '@relayllm/testing';
import { CircuitBreakingKeyValueStore } from './circuit-breaking-key-value-store';
import { RedisKeyValueStore } from './redis-key-value-store';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds; fails after `timeoutMs` (no timing is asserted, only the outcome). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached before the deadline');
    await sleep(20);
  }
}

describe('RedisKeyValueStore against a real redis-server', () => {
  let server: RedisServerHandle;
  let store: RedisKeyValueStore;
  let raw: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    store = new RedisKeyValueStore({ url: server.url });
    raw = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    raw.on('error', () => undefined);
    await raw.connect();
    await eventually(async () => store.isReady());
  });

  afterAll(async () => {
    await store?.close();
    raw?.disconnect();
    await server?.stop();
  });

  it('set/get/delete under the relay key layout, with a PX ttl', async () => {
    const key = storeKey('affinity', 'gen-1');
    expect(await store.get(key)).toBeUndefined();
    await store.set(key, 'worker-a', 60_000);
    expect(await store.get(key)).toBe('worker-a');
    expect(await raw.get('relay:affinity:gen-1')).toBe('worker-a');
    const pttl = await raw.pttl(key);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await store.set(key, 'worker-b', 60_000);
    expect(await store.get(key)).toBe('worker-b');
    await store.delete(key);
    expect(await store.get(key)).toBeUndefined();
    await expect(store.delete(key)).resolves.toBeUndefined();
  });

  it('setIfAbsent is SET NX: only the first writer wins', async () => {
    const key = storeKey('state', 'nx-1');
    expect(await store.setIfAbsent(key, 'a', 60_000)).toBe(true);
    expect(await store.setIfAbsent(key, 'b', 60_000)).toBe(false);
    expect(await store.get(key)).toBe('a');
    expect(await raw.pttl(key)).toBeGreaterThan(0);
  });

  it('keys expire after their ttl', async () => {
    const key = storeKey('output', 'short-lived');
    await store.set(key, 'x', 50);
    await eventually(async () => (await store.get(key)) === undefined);
    expect(await raw.exists(key)).toBe(0);
  });

  it('rejects a non-positive ttl', async () => {
    await expect(store.set('k', 'v', 0)).rejects.toMatchObject({ kind: 'invalid_argument', reason: 'TTL_RANGE' });
  });

  it('Redis killed: the raw store fails with unavailable, the bypassing one answers as a miss; restarted: used again', async () => {
    const failures: string[] = [];
    const bypassing = new CircuitBreakingKeyValueStore(store, { coolDownMs: 50, onFailure: (op) => failures.push(op) });
    const key = storeKey('state', 'req-1');
    await bypassing.set(key, 'before', 60_000);
    expect(await bypassing.get(key)).toBe('before');

    await server.stop();
    await eventually(async () => !store.isReady());
    await expect(store.get(key)).rejects.toMatchObject({ kind: 'unavailable', reason: 'REDIS_UNAVAILABLE' });
    expect(await bypassing.get(key)).toBeUndefined();
    await expect(bypassing.set(key, 'during', 60_000)).resolves.toBeUndefined();
    await expect(bypassing.delete(key)).resolves.toBeUndefined();
    await expect(bypassing.setIfAbsent(key, 'during', 60_000)).resolves.toBe(true);
    expect(bypassing.stats().bypassed).toBeGreaterThanOrEqual(4);
    expect(failures.length).toBeGreaterThanOrEqual(1);

    await server.start(); // empty: no persistence
    await eventually(async () => {
      await bypassing.set(key, 'after', 60_000);
      return (await bypassing.get(key)) === 'after';
    }, 20_000);
    expect(bypassing.stats().state).toBe('closed');
    expect(await raw.get(key)).toBe('after');
  });
});
