import { isRelayError } from '@relayllm/relay-core';
import { SequencePool } from './sequence-pool';

const live = (): AbortSignal => new AbortController().signal;

describe('SequencePool', () => {
  it('keeps an id on its sequence and reports whether the state is its own', async () => {
    const pool = new SequencePool(['s0', 's1'], { waitTimeoutMs: 1000, maxWaiting: 4 });
    const a = await pool.acquire('a', live());
    expect(a).toMatchObject({ sequence: 's0', owned: false });
    expect(pool.busyCount()).toBe(1);
    a?.release(true);
    a?.release(true); // idempotent
    expect(pool.busyCount()).toBe(0);
    expect(await pool.acquire('a', live())).toMatchObject({ sequence: 's0', owned: true });
  });

  it('prefers an unowned sequence, then takes over the least recently used free one', async () => {
    const pool = new SequencePool(['s0', 's1'], { waitTimeoutMs: 1000, maxWaiting: 4 });
    (await pool.acquire('a', live()))?.release(true);
    (await pool.acquire('b', live()))?.release(true);
    (await pool.acquire('a', live()))?.release(true); // b is now the LRU
    expect(await pool.acquire('c', live())).toMatchObject({ sequence: 's1', owned: false });
    expect(await pool.acquire('b', live())).toMatchObject({ sequence: 's0', owned: false });
  });

  it('release without keepState forgets the owner', async () => {
    const pool = new SequencePool(['s0'], { waitTimeoutMs: 1000, maxWaiting: 4 });
    (await pool.acquire('a', live()))?.release(false);
    expect(await pool.acquire('a', live())).toMatchObject({ owned: false });
  });

  it('forget() gives a finished id\'s sequence to the next id before the LRU one, at once or when its request ends', async () => {
    const pool = new SequencePool(['s0', 's1'], { waitTimeoutMs: 1000, maxWaiting: 4 });
    (await pool.acquire('a', live()))?.release(true);
    (await pool.acquire('b', live()))?.release(true); // a (s0) is now the LRU
    pool.forget('b');
    expect(await pool.acquire('c', live())).toMatchObject({ sequence: 's1', owned: false });
    const busy = await pool.acquire('a', live());
    pool.forget('a'); // while its request runs
    busy?.release(true);
    expect(await pool.acquire('a', live())).toMatchObject({ sequence: 's0', owned: false });
  });

  it('waits FIFO for a free sequence; a second request on a busy id waits for that id', async () => {
    const pool = new SequencePool(['s0', 's1'], { waitTimeoutMs: 1000, maxWaiting: 4 });
    const a = await pool.acquire('a', live());
    const b = await pool.acquire('b', live());
    const again = pool.acquire('a', live());
    const c = pool.acquire('c', live());
    b?.release(true);
    expect(await c).toMatchObject({ sequence: 's1' });
    a?.release(true);
    expect(await again).toMatchObject({ sequence: 's0', owned: true });
  });

  it('a waiting request ends (undefined) when its signal aborts', async () => {
    const pool = new SequencePool(['s0'], { waitTimeoutMs: 10_000, maxWaiting: 4 });
    await pool.acquire('a', live());
    const controller = new AbortController();
    const waiting = pool.acquire('b', controller.signal);
    controller.abort();
    expect(await waiting).toBeUndefined();
    expect(await pool.acquire('c', AbortSignal.abort())).toBeUndefined();
  });

  it('resource_exhausted when no wait is allowed, the queue is full, or the wait times out', async () => {
    const pool = new SequencePool(['s0'], { waitTimeoutMs: 20, maxWaiting: 1 });
    await pool.acquire('a', live());
    const timedOut = pool.acquire('b', live()).catch((e: unknown) => e);
    const full = await pool.acquire('c', live()).catch((e: unknown) => e);
    expect(isRelayError(full, 'resource_exhausted')).toBe(true);
    expect(isRelayError(await timedOut, 'resource_exhausted')).toBe(true);
    const noWait = new SequencePool(['s0'], { waitTimeoutMs: 0, maxWaiting: 4 });
    await noWait.acquire('a', live());
    expect(isRelayError(await noWait.acquire('b', live()).catch((e: unknown) => e), 'resource_exhausted')).toBe(true);
  });

  it('close() fails waiters and new requests (unavailable); idle() resolves once all are released', async () => {
    const pool = new SequencePool(['s0'], { waitTimeoutMs: 10_000, maxWaiting: 4 });
    const a = await pool.acquire('a', live());
    const waiting = pool.acquire('b', live()).catch((e: unknown) => e);
    pool.close();
    expect(isRelayError(await waiting, 'unavailable')).toBe(true);
    expect(isRelayError(await pool.acquire('c', live()).catch((e: unknown) => e), 'unavailable')).toBe(true);
    let idle = false;
    const done = pool.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    a?.release(true);
    await done;
    expect(idle).toBe(true);
  });
});
