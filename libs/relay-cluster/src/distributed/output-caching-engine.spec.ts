import type { EngineChunk, EngineRequest } from '@relayllm/relay-core';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { InMemoryKeyValueStore } from '../store/in-memory-key-value-store';
import { FailingKeyValueStoreFake } from '../testing';
import { OutputCachingEngine, isDeterministicSampling, llmOutputCacheKey } from './output-caching-engine';
import { tenantGenerationId } from './tenant-scope';

const relayRequest = (overrides: Partial<EngineRequest> = {}): EngineRequest => ({
  sequenceId: 'g1/llm',
  turn: 0,
  context: { text: 'Q: 2+2=' },
  appendOnly: false,
  maxTokens: 3,
  sampling: { temperature: 0 },
  stopTokens: [],
  stop: [],
  bannedTokens: [258, 259],
  ...overrides,
});

async function read(stream: AsyncIterable<EngineChunk>, limit = Infinity): Promise<string> {
  let text = '';
  let n = 0;
  for await (const chunk of stream) {
    text += chunk.text;
    if (++n >= limit) break;
  }
  return text;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('OutputCachingEngine', () => {
  it('deterministic = temperature 0 or a fixed seed', () => {
    expect(isDeterministicSampling({ temperature: 0 })).toBe(true);
    expect(isDeterministicSampling({ temperature: 0.7, seed: 3 })).toBe(true);
    expect(isDeterministicSampling({ temperature: 0.7 })).toBe(false);
    expect(isDeterministicSampling({})).toBe(false);
  });

  it('keys on model, LLM-view text, n and sampling, not on the generation', () => {
    const key = llmOutputCacheKey('llm', relayRequest());
    expect(key).toMatch(/^relay:output:llm:[0-9a-f]{64}$/);
    expect(llmOutputCacheKey('llm', relayRequest({ turn: 2, sequenceId: 'other/llm' }))).toBe(key);
    expect(llmOutputCacheKey('llm2', relayRequest())).not.toBe(key);
    expect(llmOutputCacheKey('llm', relayRequest({ maxTokens: 4 }))).not.toBe(key);
    expect(llmOutputCacheKey('llm', relayRequest({ context: { text: 'Q: 2+3=' } }))).not.toBe(key);
    expect(llmOutputCacheKey('llm', relayRequest({ sampling: { temperature: 0, seed: 1 } }))).not.toBe(key);
  });

  it('keys on the tenant of the generation: its generations share entries, two tenants never do', () => {
    const of = (tenant: string, requestId: string): string => llmOutputCacheKey('llm', relayRequest({ sequenceId: `${tenantGenerationId(tenant, requestId)}/llm` }));
    expect(of('team-a', 'r1')).toBe(of('team-a', 'r2'));
    expect(of('team-b', 'r1')).not.toBe(of('team-a', 'r1'));
    expect(of('team-a', 'r1')).not.toBe(llmOutputCacheKey('llm', relayRequest()));
  });

  it("another tenant's identical deterministic relay is not served from the first tenant's output", async () => {
    const inner = new ScriptedEngine(['abc', 'abc'], { mode: 'token' });
    const pool = new OutputCachingEngine(inner, { model: 'llm', store: new InMemoryKeyValueStore() });
    const signal = new AbortController().signal;
    const forTenant = (tenant: string): EngineRequest => relayRequest({ sequenceId: `${tenantGenerationId(tenant, 'same-id')}/llm` });
    await read(pool.generate(forTenant('team-a'), signal));
    await flush();
    await read(pool.generate(forTenant('team-b'), signal));
    expect(inner.requests).toHaveLength(2);
    expect({ hits: pool.hits, misses: pool.misses }).toEqual({ hits: 0, misses: 2 });
  });

  it('replays a completed deterministic relay without asking a worker', async () => {
    const inner = new ScriptedEngine(['abc'], { mode: 'token' });
    const pool = new OutputCachingEngine(inner, { model: 'llm', store: new InMemoryKeyValueStore() });
    const signal = new AbortController().signal;
    expect(await read(pool.generate(relayRequest(), signal))).toBe('abc');
    await flush();
    expect(await read(pool.generate(relayRequest({ sequenceId: 'g2/llm' }), signal))).toBe('abc');
    expect(inner.requests).toHaveLength(1);
    expect({ hits: pool.hits, misses: pool.misses }).toEqual({ hits: 1, misses: 1 });
  });

  it('does not cache sampled relays, streams read only in part, or oversized outputs', async () => {
    const store = new InMemoryKeyValueStore();
    const signal = new AbortController().signal;
    const sampled = new ScriptedEngine(['abc', 'abd'], { mode: 'token' });
    const p1 = new OutputCachingEngine(sampled, { model: 'llm', store });
    await read(p1.generate(relayRequest({ sampling: { temperature: 0.8 } }), signal));
    await read(p1.generate(relayRequest({ sampling: { temperature: 0.8 } }), signal));
    expect(sampled.requests).toHaveLength(2);

    const partial = new ScriptedEngine(['abc', 'abc'], { mode: 'token' });
    const p2 = new OutputCachingEngine(partial, { model: 'llm', store });
    expect(await read(p2.generate(relayRequest(), signal), 1)).toBe('a'); // 1 of n = 3 tokens read
    await flush();
    expect(store.size()).toBe(0);

    const failing = new ScriptedEngine([{ text: 'abc', failAfterChunks: 3, error: new Error('worker died') }], { mode: 'token' });
    const p4 = new OutputCachingEngine(failing, { model: 'llm', store });
    await expect(read(p4.generate(relayRequest({ maxTokens: 5 }), signal))).rejects.toThrow('worker died');
    await flush();
    expect(store.size()).toBe(0);

    const big = new ScriptedEngine(['abc', 'abc'], { mode: 'token' });
    const p3 = new OutputCachingEngine(big, { model: 'llm', store, maxValueChars: 10 });
    await read(p3.generate(relayRequest(), signal));
    await flush();
    expect(store.size()).toBe(0);
  });

  it('caches an output the relay stopped reading right after the n-th token', async () => {
    const store = new InMemoryKeyValueStore();
    const inner = new ScriptedEngine(['abcdef'], { mode: 'token' });
    const pool = new OutputCachingEngine(inner, { model: 'llm', store });
    const aborter = new AbortController();
    expect(await read(pool.generate(relayRequest(), aborter.signal), 3)).toBe('abc');
    aborter.abort(); // as runRelay does once it has the n tokens
    await flush();
    expect(store.size()).toBe(1);
    expect(await read(pool.generate(relayRequest(), new AbortController().signal))).toBe('abc');
    expect(inner.requests).toHaveLength(1);
  });

  it('store failures are misses', async () => {
    const errors: unknown[] = [];
    const failing = new FailingKeyValueStoreFake(new Error('down'));
    const inner = new ScriptedEngine(['ab', 'ab'], { mode: 'token' });
    const pool = new OutputCachingEngine(inner, { model: 'llm', store: failing, onStoreError: (e) => errors.push(e) });
    const signal = new AbortController().signal;
    expect(await read(pool.generate(relayRequest(), signal))).toBe('ab');
    await flush();
    expect(await read(pool.generate(relayRequest(), signal))).toBe('ab');
    expect(inner.requests).toHaveLength(2);
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });

  it('an undecodable entry is a miss', async () => {
    const store = new InMemoryKeyValueStore();
    await store.set(llmOutputCacheKey('llm', relayRequest()), 'not json', 1_000);
    const inner = new ScriptedEngine(['ab'], { mode: 'token' });
    const pool = new OutputCachingEngine(inner, { model: 'llm', store });
    expect(await read(pool.generate(relayRequest(), new AbortController().signal))).toBe('ab');
    expect(inner.requests).toHaveLength(1);
  });
});
