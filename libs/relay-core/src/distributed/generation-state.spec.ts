import type { PrefixStore } from '../ports/prefix-store';
import type { RelayStreamEvent } from '../relay/relay-events';
import type { RelayRequest } from '../relay/relay-request';
import { runRelay } from '../relay/run-relay';
import { InMemoryPrefixStore } from '../store/in-memory-prefix-store';
import { ManualClock } from '../testing/manual-clock';
import { ScriptedEngine } from '../testing/scripted-engine';
import { GenerationStateStore, withGenerationState } from './generation-state';

const request: RelayRequest = { generationId: 'req-1', prompt: 'Q:', maxTokens: 40, sampling: { temperature: 0 } };

function states(store: PrefixStore = new InMemoryPrefixStore(), owner = 'replica-a'): GenerationStateStore {
  return new GenerationStateStore({ store, owner, runningTtlMs: 60_000, clock: new ManualClock() });
}

async function collect(stream: AsyncIterable<RelayStreamEvent>): Promise<RelayStreamEvent[]> {
  const events: RelayStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const relay = (slm: ScriptedEngine, llm: ScriptedEngine, signal = new AbortController().signal) => () =>
  runRelay({ slm, llm, clock: new ManualClock() }, request, signal);

describe('GenerationStateStore / withGenerationState', () => {
  it('a retried request_id that completed returns the stored result and runs nothing', async () => {
    const store = new InMemoryPrefixStore();
    const slm = new ScriptedEngine(['ab<call>2</call>', 'c</s>'], { mode: 'text' });
    const llm = new ScriptedEngine(['XY'], { mode: 'text' });
    const first = await collect(withGenerationState(states(store), request, relay(slm, llm)));
    const again = new ScriptedEngine([]);
    const second = await collect(withGenerationState(states(store, 'replica-b'), request, relay(again, again)));
    expect(again.requests).toHaveLength(0);
    const text = (events: RelayStreamEvent[]) => events.filter((e) => e.type === 'text').map((e) => (e.type === 'text' ? e.text : '')).join('');
    expect(text(second)).toBe(text(first));
    expect(second.at(-1)).toEqual(first.at(-1));
    expect((await states(store).read('req-1'))?.status).toBe('completed');
  });

  it('checkpoints the transcript and turn at handoffs while running', async () => {
    const store = new InMemoryPrefixStore();
    const slm = new ScriptedEngine(['ab<call>2</call>', 'c</s>'], { mode: 'text' });
    const llm = new ScriptedEngine(['XY'], { mode: 'text' });
    const seen: unknown[] = [];
    const s = states(store);
    for await (const event of withGenerationState(s, request, relay(slm, llm))) {
      if (event.type === 'relayFinished') {
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(await s.read('req-1'));
      }
    }
    expect(seen[0]).toMatchObject({ status: 'running', owner: 'replica-a', turn: 1 });
    expect((seen[0] as { transcript: unknown[] }).transcript.map((x) => (x as string[])[1]).join('')).toBe('abXY');
  });

  it('a request_id still running elsewhere is refused with failed_precondition REQUEST_ID_IN_USE', async () => {
    const store = new InMemoryPrefixStore();
    await states(store, 'replica-a').begin(request);
    await expect(states(store, 'replica-b').begin(request)).rejects.toMatchObject({ kind: 'failed_precondition', reason: 'REQUEST_ID_IN_USE' });
    await expect(states(store).begin({ ...request, generationId: 'req-2' })).resolves.toEqual({ kind: 'run' });
  });

  it('a completed request_id reused by a different request is refused', async () => {
    const store = new InMemoryPrefixStore();
    const slm = new ScriptedEngine(['a</s>'], { mode: 'text' });
    await collect(withGenerationState(states(store), request, relay(slm, slm)));
    await expect(states(store).begin({ ...request, prompt: 'other' })).rejects.toMatchObject({ reason: 'REQUEST_ID_IN_USE' });
  });

  it('failure and cancellation free the request_id for a retry', async () => {
    const store = new InMemoryPrefixStore();
    const broken = new ScriptedEngine([{ text: 'ab', failAfterChunks: 1, error: new Error('worker died') }], { mode: 'text' });
    await expect(collect(withGenerationState(states(store), request, relay(broken, broken)))).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await states(store).read('req-1')).toBeUndefined();

    const cancel = new AbortController();
    cancel.abort();
    const slm = new ScriptedEngine(['a</s>'], { mode: 'text' });
    const events = await collect(withGenerationState(states(store), request, relay(slm, slm, cancel.signal)));
    expect(events.at(-1)).toMatchObject({ type: 'completed', finishReason: 'cancelled' });
    expect(await states(store).read('req-1')).toBeUndefined();
  });

  it('the lease ticker renews the running record while the generation runs, and is stopped at the end', async () => {
    const store = new InMemoryPrefixStore();
    const clock = new ManualClock();
    const s = new GenerationStateStore({ store, owner: 'replica-a', runningTtlMs: 100, clock });
    let renew: (() => void) | undefined;
    let stops = 0;
    const slm = new ScriptedEngine(['abcdef</s>'], { mode: 'text' });
    const seen: unknown[] = [];
    for await (const event of withGenerationState(s, request, relay(slm, slm), {
      leaseTicker: (tick) => ((renew = tick), () => void (stops += 1)),
    })) {
      if (event.type === 'text' && event.text === 'c') {
        clock.advance(90);
        renew?.(); // without it the record would expire at t = 100
        await new Promise((resolve) => setImmediate(resolve));
        clock.advance(90);
        seen.push(await s.read('req-1'));
      }
    }
    expect(seen[0]).toMatchObject({ status: 'running', updatedAtMs: 90 });
    expect((seen[0] as { transcript: unknown[] }).transcript.length).toBe(3);
    expect(stops).toBeGreaterThanOrEqual(1);
    expect((await s.read('req-1'))?.status).toBe('completed');
  });

  it('works on a store without setIfAbsent (get-then-set)', async () => {
    const inner = new InMemoryPrefixStore();
    const plain: PrefixStore = { get: (k) => inner.get(k), set: (k, v, t) => inner.set(k, v, t), delete: (k) => inner.delete(k) };
    await states(plain).begin(request);
    await expect(states(plain).begin(request)).rejects.toMatchObject({ reason: 'REQUEST_ID_IN_USE' });
  });
});
