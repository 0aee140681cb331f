import { InMemoryKeyValueStore } from '../store/in-memory-key-value-store';
import { FailingKeyValueStoreFake, RecordingKeyValueStoreFake } from '../testing';
import { LlmAffinity, promptBlockKeys } from './llm-affinity';
import { tenantGenerationId } from './tenant-scope';

describe('promptBlockKeys', () => {
  it('chains whole blocks only: equal keys mean equal prefixes', () => {
    const a = promptBlockKeys('aaaabbbbcc', { blockSize: 4 });
    const b = promptBlockKeys('aaaabbbbdd', { blockSize: 4 });
    const c = promptBlockKeys('xaaabbbb', { blockSize: 4 });
    expect(a).toHaveLength(2);
    expect(b).toEqual(a);
    expect(c[1]).not.toBe(a[1]); // same second block, different history
    expect(promptBlockKeys('abc', { blockSize: 4 })).toEqual([]);
  });

  it('is bounded by maxBlocks', () => {
    expect(promptBlockKeys('x'.repeat(1000), { blockSize: 1, maxBlocks: 5 })).toHaveLength(5);
  });
});

describe('LlmAffinity', () => {
  const options = { model: 'llm', blockSize: 4 };

  it('prefers the generation\'s own worker, else the longest shared prompt prefix', async () => {
    const store = new InMemoryKeyValueStore();
    const affinity = new LlmAffinity({ ...options, store });
    expect(await affinity.preferredWorker('g1', 'aaaabbbb')).toBeUndefined();
    await affinity.recordWorker('g1', 'aaaabbbb', 'w1');
    await affinity.recordWorker('g2', 'aaaacccc', 'w2');
    expect(await affinity.preferredWorker('g1', 'zzzz')).toBe('w1');
    expect(await affinity.preferredWorker('g3', 'aaaabbbbeeee')).toBe('w1');
    expect(await affinity.preferredWorker('g3', 'aaaacccc')).toBe('w2');
    expect(await affinity.preferredWorker('g3', 'aaaadddd')).toBe('w2'); // only block 1 shared; w2 wrote it last
    await affinity.forgetGeneration('g1');
    expect(await affinity.preferredWorker('g1', 'zzzz')).toBeUndefined();
  });

  it("a prompt prefix steers only its own tenant's relays: another tenant learns nothing from it", async () => {
    const store = new InMemoryKeyValueStore();
    const affinity = new LlmAffinity({ ...options, store, localGenerations: 0 });
    await affinity.recordWorker(tenantGenerationId('key-a', 'g1'), 'aaaabbbb', 'w1');
    expect(await affinity.preferredWorker(tenantGenerationId('key-a', 'g2'), 'aaaabbbb')).toBe('w1');
    expect(await affinity.preferredWorker(tenantGenerationId('key-b', 'g2'), 'aaaabbbb')).toBeUndefined();
  });

  it('store failures mean no preference, and recording never throws', async () => {
    const failing = new FailingKeyValueStoreFake(new Error('down'));
    const affinity = new LlmAffinity({ ...options, store: failing, localGenerations: 0 });
    await expect(affinity.recordWorker('g', 'aaaa', 'w')).resolves.toBeUndefined();
    await expect(affinity.preferredWorker('g', 'aaaa')).resolves.toBeUndefined();
    await expect(affinity.forgetGeneration('g')).resolves.toBeUndefined();
  });

  it("a generation's later relays to the same worker write nothing; a move to another worker is written", async () => {
    const store = new InMemoryKeyValueStore();
    const counting = new RecordingKeyValueStoreFake(store);
    const writes = counting.writes;
    const affinity = new LlmAffinity({ ...options, store: counting });
    await affinity.recordWorker('g1', 'aaaabbbb', 'w1');
    const first = writes.length;
    expect(first).toBe(3); // the generation key and two whole blocks
    await affinity.recordWorker('g1', 'aaaabbbbcccc', 'w1');
    await affinity.recordWorker('g1', 'aaaabbbbccccdddd', 'w1');
    expect(writes).toHaveLength(first);
    await affinity.recordWorker('g1', 'aaaabbbbccccdddd', 'w2'); // failover: the new worker holds the prefix now
    expect(writes.slice(first).every((w) => w.endsWith('=w2'))).toBe(true);
    expect(await new LlmAffinity({ ...options, store }).preferredWorker('g1', 'zzzz')).toBe('w2');
    // Without the in-process memo every record writes.
    const plain = new LlmAffinity({ ...options, store: counting, localGenerations: 0 });
    const before = writes.length;
    await plain.recordWorker('g9', 'aaaa', 'w1');
    await plain.recordWorker('g9', 'aaaa', 'w1');
    expect(writes.length - before).toBe(4);
  });

  it('remembers the generations it recorded in process (bounded LRU): no store read on their later relays', async () => {
    const store = new InMemoryKeyValueStore();
    const counting = new RecordingKeyValueStoreFake(store);
    const affinity = new LlmAffinity({ ...options, store: counting, localGenerations: 2 });
    await affinity.recordWorker('g1', 'aaaa', 'w1');
    expect(await affinity.preferredWorker('g1', 'aaaa')).toBe('w1');
    expect(counting.reads).toHaveLength(0);
    await affinity.recordWorker('g2', 'bbbb', 'w2');
    await affinity.recordWorker('g3', 'cccc', 'w3'); // evicts g1 locally; the store still has it
    expect(await affinity.preferredWorker('g1', 'aaaa')).toBe('w1');
    expect(counting.reads.length).toBeGreaterThan(0);
    // Another replica's record is read from the shared store.
    const other = new LlmAffinity({ ...options, store });
    expect(await other.preferredWorker('g3', 'zzzz')).toBe('w3');
    await affinity.forgetGeneration('g3');
    expect(await affinity.preferredWorker('g3', 'zzzz')).toBeUndefined();
  });
});
