import { storeKey } from '../ports/key-value-store';
import { ManualClock } from '@relayllm/relay-core/testing';
import { InMemoryKeyValueStore } from './in-memory-key-value-store';

describe('InMemoryKeyValueStore', () => {
  it('returns a value until its TTL has passed', async () => {
    const clock = new ManualClock(1_000);
    const store = new InMemoryKeyValueStore({ clock });
    await store.set('k', 'v', 100);
    clock.advance(99);
    expect(await store.get('k')).toBe('v');
    clock.advance(1);
    expect(await store.get('k')).toBeUndefined();
  });

  it('replaces a value and its TTL; delete removes it', async () => {
    const clock = new ManualClock();
    const store = new InMemoryKeyValueStore({ clock });
    await store.set('k', 'a', 10);
    await store.set('k', 'b', 1_000);
    clock.advance(500);
    expect(await store.get('k')).toBe('b');
    await store.delete('k');
    await store.delete('absent');
    expect(await store.get('k')).toBeUndefined();
  });

  it('rejects a TTL that is not a positive integer', async () => {
    const store = new InMemoryKeyValueStore();
    for (const ttl of [0, -1, 1.5, Number.NaN]) {
      await expect(store.set('k', 'v', ttl)).rejects.toMatchObject({ kind: 'invalid_argument', reason: 'TTL_RANGE', field: 'ttlMs' });
    }
  });

  it('evicts the oldest write when full, preferring expired entries', async () => {
    const clock = new ManualClock();
    const store = new InMemoryKeyValueStore({ clock, maxEntries: 2 });
    await store.set('a', '1', 1_000);
    await store.set('b', '2', 1_000);
    await store.set('c', '3', 1_000);
    expect([await store.get('a'), await store.get('b'), await store.get('c')]).toEqual([undefined, '2', '3']);
    await store.set('short', 'x', 1);
    clock.advance(1);
    await store.set('d', '4', 1_000);
    expect(store.size()).toBe(2);
    expect([await store.get('c'), await store.get('d')]).toEqual(['3', '4']);
  });

  it('builds namespaced keys', () => {
    expect(storeKey('affinity', 'gen-1')).toBe('relay:affinity:gen-1');
  });
});

describe('InMemoryKeyValueStore.setIfAbsent', () => {
  it('stores only when the key is absent or expired', async () => {
    const clock = new ManualClock();
    const store = new InMemoryKeyValueStore({ clock });
    expect(await store.setIfAbsent('k', 'a', 100)).toBe(true);
    expect(await store.setIfAbsent('k', 'b', 100)).toBe(false);
    expect(await store.get('k')).toBe('a');
    clock.advance(100);
    expect(await store.setIfAbsent('k', 'c', 100)).toBe(true);
    expect(await store.get('k')).toBe('c');
  });
});

describe('InMemoryKeyValueStore atomic writes', () => {
  it('two concurrent creates of one key: exactly one stores', async () => {
    const store = new InMemoryKeyValueStore();
    const created = await Promise.all([store.setIfAbsent('k', 'a', 100), store.setIfAbsent('k', 'b', 100)]);
    expect(created.filter(Boolean)).toHaveLength(1);
    expect(await store.get('k')).toBe(created[0] ? 'a' : 'b');
  });

  it('compareAndSet replaces only the expected value, and never an absent or expired key', async () => {
    const clock = new ManualClock();
    const store = new InMemoryKeyValueStore({ clock });
    expect(await store.compareAndSet('k', 'a', 'b', 100)).toBe(false);
    expect(await store.get('k')).toBeUndefined();
    await store.set('k', 'a', 100);
    expect(await store.compareAndSet('k', 'x', 'b', 100)).toBe(false);
    expect(await store.compareAndSet('k', 'a', 'b', 1_000)).toBe(true);
    clock.advance(500); // the new TTL applies
    expect(await store.get('k')).toBe('b');
    clock.advance(500);
    expect(await store.compareAndSet('k', 'b', 'c', 100)).toBe(false);
    await expect(store.compareAndSet('k', 'b', 'c', 0)).rejects.toMatchObject({ reason: 'TTL_RANGE' });
  });

  it('two concurrent compareAndSets from one value: exactly one replaces it', async () => {
    const store = new InMemoryKeyValueStore();
    await store.set('k', 'old', 100);
    const replaced = await Promise.all([store.compareAndSet('k', 'old', 'a', 100), store.compareAndSet('k', 'old', 'b', 100)]);
    expect(replaced).toEqual([true, false]);
    expect(await store.get('k')).toBe('a');
  });

  it('compareAndDelete removes only the expected value', async () => {
    const store = new InMemoryKeyValueStore();
    await store.set('k', 'a', 100);
    expect(await store.compareAndDelete('k', 'b')).toBe(false);
    expect(await store.get('k')).toBe('a');
    expect(await store.compareAndDelete('k', 'a')).toBe(true);
    expect(await store.get('k')).toBeUndefined();
    expect(await store.compareAndDelete('k', 'a')).toBe(false);
  });
});
