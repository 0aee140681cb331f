import type { KeyValueStore } from '../ports/key-value-store';
import type { RelayStreamEvent } from '@relayllm/relay-core';
import type { RelayRequest } from '@relayllm/relay-core';
import { runRelay, REFERENCE_PAIR_PROFILE } from '@relayllm/relay-core';
import { InMemoryKeyValueStore } from '../store/in-memory-key-value-store';
import { ManualClock } from '@relayllm/relay-core/testing';
import { RecordingKeyValueStoreFake } from '../testing';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { GenerationStateStore } from './generation-state';
import { withGenerationState } from './with-generation-state';

const request: RelayRequest = { generationId: 'req-1', prompt: 'Q:', maxTokens: 40, sampling: { temperature: 0 } };

function states(store: KeyValueStore = new InMemoryKeyValueStore(), owner = 'replica-a', clock = new ManualClock()): GenerationStateStore {
  return new GenerationStateStore({ store, owner, leaseMs: 1_000, runningTtlMs: 60_000, clock });
}

async function collect(stream: AsyncIterable<RelayStreamEvent>): Promise<RelayStreamEvent[]> {
  const events: RelayStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const resumes: unknown[] = [];

function generation(s: GenerationStateStore, slm: ScriptedEngine, llm: ScriptedEngine, signal = new AbortController().signal, req = request) {
  return withGenerationState(s, req, { slm, llm }, (engines) => runRelay({ ...engines, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, req, signal), {
    onResume: (info) => resumes.push(info),
  });
}

const textOf = (events: RelayStreamEvent[]): string => events.map((e) => (e.type === 'text' ? e.text : '')).join('');

describe('GenerationStateStore / withGenerationState', () => {
  it('a retried request_id that completed returns the stored result and runs nothing', async () => {
    const store = new InMemoryKeyValueStore();
    const slm = new ScriptedEngine(['ab<call>2</call>', 'c</s>'], { mode: 'text' });
    const llm = new ScriptedEngine(['XY'], { mode: 'text' });
    const first = await collect(generation(states(store), slm, llm));
    const again = new ScriptedEngine([]);
    const second = await collect(generation(states(store, 'replica-b'), again, again));
    expect(again.requests).toHaveLength(0);
    expect(textOf(second)).toBe(textOf(first));
    expect(second.at(-1)).toEqual(first.at(-1));
    expect((await states(store).read('req-1'))?.status).toBe('completed');
  });

  it('checkpoints transcript, turn and the consumed streams at handoffs', async () => {
    const store = new InMemoryKeyValueStore();
    const slm = new ScriptedEngine(['ab<call>2</call>never read', 'c</s>'], { mode: 'text' });
    const llm = new ScriptedEngine(['XY'], { mode: 'text' });
    const seen: unknown[] = [];
    const s = states(store);
    for await (const event of generation(s, slm, llm)) {
      if (event.type === 'relayFinished') {
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(await s.read('req-1'));
      }
    }
    expect(seen[0]).toMatchObject({ status: 'running', owner: 'replica-a', turn: 1, leaseUntilMs: 1_000 });
    const record = seen[0] as { transcript: string[][]; streams: Array<{ role: string; chunks: Array<{ text: string }> }> };
    expect(record.transcript.map((x) => x[1]).join('')).toBe('abXY');
    expect(record.streams.map((st) => `${st.role}:${st.chunks.map((c) => c.text).join('')}`)).toEqual(['slm:ab<call>2</call>', 'llm:XY']);
  });

  it('without checkpoints it writes only the running and the completed record, and still replays a retry', async () => {
    const store = new RecordingKeyValueStoreFake(new InMemoryKeyValueStore());
    const slm = new ScriptedEngine(['ab<call>2</call>', 'c</s>'], { mode: 'text' });
    const llm = new ScriptedEngine(['XY'], { mode: 'text' });
    const run = (s: GenerationStateStore) =>
      withGenerationState(s, request, { slm, llm }, (engines) => runRelay({ ...engines, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal), {
        checkpoints: false,
        leaseTicker: () => {
          throw new Error('no lease to renew without checkpoints');
        },
      });
    const first = await collect(run(states(store)));
    expect(store.writes.map((w) => JSON.parse(w.slice(w.indexOf('=') + 1)).status)).toEqual(['running', 'completed']);
    expect((await collect(run(states(store)))).at(-1)).toEqual(first.at(-1));
    expect(slm.requests).toHaveLength(2); // the retry ran no model
  });

  it('a request_id running under a live lease is refused with failed_precondition REQUEST_ID_IN_USE', async () => {
    const store = new InMemoryKeyValueStore();
    await states(store, 'replica-a').begin(request);
    await expect(states(store, 'replica-b').begin(request)).rejects.toMatchObject({ kind: 'failed_precondition', reason: 'REQUEST_ID_IN_USE' });
    await expect(states(store).begin({ ...request, generationId: 'req-2' })).resolves.toMatchObject({ kind: 'run' });
  });

  it('a request_id reused by a different request is refused', async () => {
    const store = new InMemoryKeyValueStore();
    const slm = new ScriptedEngine(['a</s>'], { mode: 'text' });
    await collect(generation(states(store), slm, slm));
    await expect(states(store).begin({ ...request, prompt: 'other' })).rejects.toMatchObject({ reason: 'REQUEST_ID_IN_USE' });
  });

  it('a replica that died mid-generation: after its lease, a retry elsewhere resumes from the saved streams', async () => {
    const store = new InMemoryKeyValueStore();
    const clock = new ManualClock();
    // Undisturbed reference run.
    const reference = await collect(
      generation(states(new InMemoryKeyValueStore()), new ScriptedEngine(['ab<call>2</call>', 'cd<call>1</call>', 'e</s>'], { mode: 'text' }), new ScriptedEngine(['XY', 'Z'], { mode: 'text' })),
    );
    // Replica A: runs until its second SLM turn, which never answers; then "dies" (its generator is simply never resumed).
    const slmA = new ScriptedEngine(['ab<call>2</call>', { text: 'c', hangAfterChunks: 1, ignoreAbort: true }], { mode: 'text' });
    const llmA = new ScriptedEngine(['XY'], { mode: 'text' });
    const a = generation(states(store, 'replica-a', clock), slmA, llmA)[Symbol.asyncIterator]();
    for (;;) {
      const next = await a.next();
      if (next.done === true || next.value.type === 'relayFinished') break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    await expect(states(store, 'replica-b', clock).begin(request)).rejects.toMatchObject({ reason: 'REQUEST_ID_IN_USE' });
    clock.advance(1_000); // A's lease lapses
    // Replica B: only the turns after the checkpoint reach its engines.
    const slmB = new ScriptedEngine(['cd<call>1</call>', 'e</s>'], { mode: 'text' });
    const llmB = new ScriptedEngine(['Z'], { mode: 'text' });
    const resumed = await collect(generation(states(store, 'replica-b', clock), slmB, llmB));
    expect(resumes).toEqual([{ previousOwner: 'replica-a', savedStreams: 2, turn: 1 }]);
    expect(textOf(resumed)).toBe(textOf(reference));
    expect(resumed.at(-1)).toEqual(reference.at(-1));
    expect(slmB.requests).toHaveLength(2);
    expect(slmB.requests[0]).toMatchObject({ appendOnly: false, context: { text: 'Q:ab<call>2</call>XY' } }); // the SLM view keeps its command
    expect(llmB.requests).toHaveLength(1);
    expect((await states(store).read('req-1'))?.status).toBe('completed');
  });

  it('a generation with a confidence floor resumes too: the saved streams keep the probabilities the floor read', async () => {
    const floorRequest: RelayRequest = { ...request, generationId: 'req-floor', confidenceFloor: { threshold: 0.5, callTokens: 2 } };
    // "ab" sure, "c" unsure: the floor calls for 2 tokens in its place; then "d" and the end
    const first = { text: 'abc', probabilities: [0.9, 0.9, 0.2] };
    const store = new InMemoryKeyValueStore();
    const clock = new ManualClock();
    const slmA = new ScriptedEngine([first, { text: 'd', hangAfterChunks: 0, ignoreAbort: true }]);
    const a = generation(states(store, 'replica-a', clock), slmA, new ScriptedEngine(['XY']), undefined, floorRequest)[Symbol.asyncIterator]();
    for (;;) {
      const next = await a.next();
      if (next.done === true || next.value.type === 'relayFinished') break;
    }
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1_000);
    const slmB = new ScriptedEngine([{ text: 'd</s>', probabilities: [0.9, 0.9] }]);
    const resumed = await collect(generation(states(store, 'replica-b', clock), slmB, new ScriptedEngine([]), undefined, floorRequest));
    expect(textOf(resumed)).toBe('abXYd');
    expect(resumed.at(-1)).toMatchObject({ type: 'completed', usage: { calls: 1, callRecords: [{ origin: 'floor', requestedN: 2 }] } });
    expect(slmB.requests[0]?.context.text).toBe('Q:abXY');
  });

  it('failure and cancellation free the request_id for a retry', async () => {
    const store = new InMemoryKeyValueStore();
    const broken = new ScriptedEngine([{ text: 'ab', failAfterChunks: 1, error: new Error('worker died') }], { mode: 'text' });
    await expect(collect(generation(states(store), broken, broken))).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await states(store).read('req-1')).toBeUndefined();

    const cancel = new AbortController();
    cancel.abort();
    const slm = new ScriptedEngine(['a</s>'], { mode: 'text' });
    const events = await collect(generation(states(store), slm, slm, cancel.signal));
    expect(events.at(-1)).toMatchObject({ type: 'completed', finishReason: 'cancelled' });
    expect(await states(store).read('req-1')).toBeUndefined();
  });

  it('the lease ticker renews the lease while the generation runs, and is stopped at the end', async () => {
    const store = new InMemoryKeyValueStore();
    const clock = new ManualClock();
    const s = states(store, 'replica-a', clock);
    let renew: (() => void) | undefined;
    let stops = 0;
    const slm = new ScriptedEngine(['abcdef</s>'], { mode: 'text' });
    const seen: unknown[] = [];
    const run = withGenerationState(s, request, { slm, llm: slm }, (engines) => runRelay({ ...engines, clock, pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal), {
      leaseTicker: (tick) => ((renew = tick), () => void (stops += 1)),
    });
    for await (const event of run) {
      if (event.type === 'text' && event.text === 'c') {
        clock.advance(900);
        renew?.();
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(await s.read('req-1'));
      }
    }
    expect(seen[0]).toMatchObject({ status: 'running', leaseUntilMs: 1_900 });
    expect(stops).toBeGreaterThanOrEqual(1);
    expect((await s.read('req-1'))?.status).toBe('completed');
  });

  it('a record gone between the atomic create and the read gets one more atomic try, never a plain write', async () => {
    const inner = new InMemoryKeyValueStore();
    let creates = 0;
    // The first create loses to a record that then expires before it is read.
    const racing: KeyValueStore = {
      get: (k) => inner.get(k),
      set: (k, v, t) => inner.set(k, v, t),
      delete: (k) => inner.delete(k),
      setIfAbsent: (k, v, t) => (++creates === 1 ? Promise.resolve(false) : inner.setIfAbsent(k, v, t)),
      compareAndSet: (k, e, v, t) => inner.compareAndSet(k, e, v, t),
      compareAndDelete: (k, e) => inner.compareAndDelete(k, e),
    };
    await expect(states(racing).begin(request)).resolves.toMatchObject({ kind: 'run' });
    expect(creates).toBe(2);
    await expect(states(racing).begin(request)).rejects.toMatchObject({ reason: 'REQUEST_ID_IN_USE' });
  });

  it('a record this version cannot read is replaced and the request runs', async () => {
    const store = new InMemoryKeyValueStore();
    await store.set(states(store).key(request.generationId), '{"v":0}', 60_000);
    await expect(states(store).begin(request)).resolves.toMatchObject({ kind: 'run' });
    expect((await states(store).read(request.generationId))?.status).toBe('running');
  });
});
