import { InMemoryKeyValueStore, type KeyValueStore } from '@relayllm/relay-cluster';
import { ManualClock } from '@relayllm/relay-core/testing';
import { UnavailableReason, RelayError } from '@relayllm/relay-core';
import { CircuitBreakingKeyValueStore } from './circuit-breaking-key-value-store';

/** A store that fails (or hangs) while `down` is set; counts the calls that reached it. */
class ScriptedFlakyStore implements KeyValueStore {
  down: 'no' | 'fail' | 'hang' = 'no';
  calls = 0;
  private readonly inner = new InMemoryKeyValueStore();

  private reach<T>(run: () => Promise<T>): Promise<T> {
    this.calls += 1;
    if (this.down === 'fail') return Promise.reject(RelayError.unavailable(UnavailableReason.REDIS_UNAVAILABLE, 'down'));
    if (this.down === 'hang') return new Promise<T>(() => undefined);
    return run();
  }

  get(key: string): Promise<string | undefined> {
    return this.reach(() => this.inner.get(key));
  }
  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.reach(() => this.inner.set(key, value, ttlMs));
  }
  delete(key: string): Promise<void> {
    return this.reach(() => this.inner.delete(key));
  }
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.reach(() => this.inner.setIfAbsent(key, value, ttlMs));
  }
  compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean> {
    return this.reach(() => this.inner.compareAndSet(key, expected, next, ttlMs));
  }
  compareAndDelete(key: string, expected: string): Promise<boolean> {
    return this.reach(() => this.inner.compareAndDelete(key, expected));
  }
}

describe('CircuitBreakingKeyValueStore', () => {
  it('passes calls through while the store works', async () => {
    const inner = new ScriptedFlakyStore();
    const store = new CircuitBreakingKeyValueStore(inner, { clock: new ManualClock() });
    await store.set('k', 'v', 1_000);
    expect(await store.get('k')).toBe('v');
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
    expect(store.stats()).toEqual({ state: 'closed', bypassed: 0, failures: 0 });
  });

  it('turns a failure into a miss / no-op and skips the store during the cool-down', async () => {
    const inner = new ScriptedFlakyStore();
    const clock = new ManualClock();
    const failures: string[] = [];
    const store = new CircuitBreakingKeyValueStore(inner, { clock, coolDownMs: 100, onFailure: (op) => failures.push(op) });
    await store.set('k', 'v', 1_000);
    inner.down = 'fail';
    expect(await store.get('k')).toBeUndefined();
    expect(failures).toEqual(['get']);
    const reached = inner.calls;
    await expect(store.set('x', 'y', 1_000)).resolves.toBeUndefined();
    await expect(store.delete('k')).resolves.toBeUndefined();
    expect(await store.get('k')).toBeUndefined();
    expect(inner.calls).toBe(reached); // open circuit: the store was not asked
    expect(store.stats()).toEqual({ state: 'open', bypassed: 4, failures: 1 });
  });

  it('probes after the cool-down: a failed probe re-opens, a good one closes', async () => {
    const inner = new ScriptedFlakyStore();
    const clock = new ManualClock();
    const store = new CircuitBreakingKeyValueStore(inner, { clock, coolDownMs: 100 });
    await store.set('k', 'v', 1_000);
    inner.down = 'fail';
    await store.get('k');
    clock.advance(100);
    expect(store.stats().state).toBe('half_open');
    expect(await store.get('k')).toBeUndefined(); // probe fails
    expect(store.stats().state).toBe('open');
    clock.advance(100);
    inner.down = 'no';
    expect(await store.get('k')).toBe('v'); // probe succeeds
    expect(store.stats().state).toBe('closed');
    expect(store.stats().failures).toBe(2);
  });

  it('lets one probe through at a time; the others bypass', async () => {
    const inner = new ScriptedFlakyStore();
    const clock = new ManualClock();
    const store = new CircuitBreakingKeyValueStore(inner, { clock, coolDownMs: 100, callTimeoutMs: 60_000 });
    inner.down = 'fail';
    await store.get('k');
    clock.advance(100);
    inner.down = 'no';
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowGet = inner.get.bind(inner);
    inner.get = async (key) => {
      await gate;
      return slowGet(key);
    };
    const probe = store.get('k');
    const calls = inner.calls;
    expect(await store.get('k')).toBeUndefined();
    expect(inner.calls).toBe(calls);
    release();
    await probe;
    expect(store.stats().state).toBe('closed');
  });

  it('a hung store counts as a failure after callTimeoutMs', async () => {
    const inner = new ScriptedFlakyStore();
    inner.down = 'hang';
    const store = new CircuitBreakingKeyValueStore(inner, { clock: new ManualClock(), callTimeoutMs: 5 });
    expect(await store.get('k')).toBeUndefined();
    expect(store.stats()).toMatchObject({ state: 'open', failures: 1 });
  });

  it('setIfAbsent passes through, and answers true while bypassed', async () => {
    const inner = new ScriptedFlakyStore();
    const store = new CircuitBreakingKeyValueStore(inner, { clock: new ManualClock() });
    expect(await store.setIfAbsent('k', 'a', 1_000)).toBe(true);
    expect(await store.setIfAbsent('k', 'b', 1_000)).toBe(false);
    inner.down = 'fail';
    expect(await store.setIfAbsent('k', 'c', 1_000)).toBe(true);
    const plain = new CircuitBreakingKeyValueStore(new InMemoryKeyValueStore());
    expect(await plain.setIfAbsent('k', 'a', 1_000)).toBe(true);
    expect(await plain.setIfAbsent('k', 'b', 1_000)).toBe(false);
  });

  it('compareAndSet / compareAndDelete pass through, and answer true while bypassed', async () => {
    const inner = new ScriptedFlakyStore();
    const store = new CircuitBreakingKeyValueStore(inner, { clock: new ManualClock() });
    await store.set('k', 'a', 1_000);
    expect(await store.compareAndSet('k', 'x', 'b', 1_000)).toBe(false);
    expect(await store.compareAndSet('k', 'a', 'b', 1_000)).toBe(true);
    expect(await store.compareAndDelete('k', 'a')).toBe(false);
    expect(await store.compareAndDelete('k', 'b')).toBe(true);
    expect(await store.get('k')).toBeUndefined();
    inner.down = 'fail';
    expect(await store.compareAndSet('k', 'x', 'c', 1_000)).toBe(true);
    expect(await store.compareAndDelete('k', 'x')).toBe(true);
    expect(() => store.compareAndSet('k', 'x', 'c', 0)).toThrow(expect.objectContaining({ reason: 'TTL_RANGE' }));
  });

  it('tells onBypass of every call answered without the store, by operation (the fault counter)', async () => {
    const inner = new ScriptedFlakyStore();
    const clock = new ManualClock();
    const bypassed: string[] = [];
    const store = new CircuitBreakingKeyValueStore(inner, { clock, coolDownMs: 100, onBypass: (op) => bypassed.push(op) });
    await store.set('k', 'v', 1_000);
    await store.get('k');
    expect(bypassed).toEqual([]); // a working store bypasses nothing
    inner.down = 'fail';
    await store.get('k'); // fails: bypassed
    await store.set('k', 'v', 1_000); // open circuit: bypassed
    await store.compareAndSet('k', 'v', 'w', 1_000);
    await store.setIfAbsent('k', 'v', 1_000);
    await store.compareAndDelete('k', 'v');
    await store.delete('k');
    expect(bypassed).toEqual(['get', 'set', 'compareAndSet', 'setIfAbsent', 'compareAndDelete', 'delete']);
    expect(store.stats().bypassed).toBe(bypassed.length);
  });

  it('still rejects a bad ttl (a caller bug, not an outage)', () => {
    const store = new CircuitBreakingKeyValueStore(new ScriptedFlakyStore());
    expect(() => store.set('k', 'v', 0)).toThrow(expect.objectContaining({ kind: 'invalid_argument' }));
  });
});
