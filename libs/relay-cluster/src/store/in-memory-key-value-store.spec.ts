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
