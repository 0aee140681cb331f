import { REFERENCE_PAIR_PROFILE, runRelay, type RelayRequest, type RelayStreamEvent } from '@relayllm/relay-core';
import { ManualClock, ScriptedEngine } from '@relayllm/relay-core/testing';
import type { KeyValueStore } from '../ports/key-value-store';
import { InMemoryKeyValueStore } from '../store/in-memory-key-value-store';
import { BypassedKeyValueStoreFake } from '../testing';
import { GenerationStateStore, type BeginOutcome } from './generation-state';
import type { SerializedProgress } from './generation-state-record';
import type { OwnedGeneration } from './owned-generation';
import { withGenerationState } from './with-generation-state';

const request: RelayRequest = { generationId: 'req-1', prompt: 'Q:', maxTokens: 40, sampling: { temperature: 0 } };
const progress = (turn: number): SerializedProgress => ({ turn, responseTokens: turn, transcriptJson: '[]', streamsJson: '[]' });

function states(store: KeyValueStore, owner: string, clock: ManualClock): GenerationStateStore {
  return new GenerationStateStore({ store, owner, leaseMs: 1_000, runningTtlMs: 60_000, clock });
}

function owned(outcome: BeginOutcome): OwnedGeneration {
  if (outcome.kind === 'done') throw new Error('expected a run');
  return outcome.run;
}

async function collect(stream: AsyncIterable<RelayStreamEvent>): Promise<RelayStreamEvent[]> {
  const events: RelayStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const textOf = (events: RelayStreamEvent[]): string => events.map((e) => (e.type === 'text' ? e.text : '')).join('');

/** Replica A started the generation and died: its record says running, with a lease that has lapsed. */
async function deadOwner(store: KeyValueStore, clock: ManualClock): Promise<OwnedGeneration> {
  const run = owned(await states(store, 'replica-a', clock).begin(request));
  clock.advance(1_000);
  return run;
}

describe('one owner per generation', () => {
  it('two replicas racing to take over a lapsed generation: exactly one resumes, the other gets REQUEST_ID_IN_USE', async () => {
    const store = new InMemoryKeyValueStore();
    const clock = new ManualClock();
    await deadOwner(store, clock);
    const outcomes = await Promise.allSettled([states(store, 'replica-b', clock).begin(request), states(store, 'replica-c', clock).begin(request)]);
    const resumed = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toMatchObject({ value: { kind: 'resume', record: { owner: 'replica-a' } } });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ reason: { kind: 'failed_precondition', reason: 'REQUEST_ID_IN_USE' } });
    const winner = outcomes[0].status === 'fulfilled' ? 'replica-b' : 'replica-c';
    expect(await states(store, 'spec', clock).read('req-1')).toMatchObject({ status: 'running', owner: winner });
  });

  it('two replicas retrying one dead generation at once: one generates the answer, the other runs no model', async () => {
    const store = new InMemoryKeyValueStore();
    const clock = new ManualClock();
    await deadOwner(store, clock);
    const replica = (owner: string) => {
      const slm = new ScriptedEngine(['ab<call>2</call>', 'c</s>'], { mode: 'text' });
      const llm = new ScriptedEngine(['XY'], { mode: 'text' });
      const events = collect(
        withGenerationState(states(store, owner, clock), request, { slm, llm }, (engines) =>
          runRelay({ ...engines, clock, pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal),
        ),
      );
      return { slm, llm, events };
    };
    const [b, c] = [replica('replica-b'), replica('replica-c')];
    const [outB, outC] = await Promise.allSettled([b.events, c.events]);
    const [winner, loser, lost] = outB.status === 'fulfilled' ? [outB, c, outC] : [outC, b, outB];
    expect(winner).toMatchObject({ status: 'fulfilled' });
    expect(winner.status === 'fulfilled' && textOf(winner.value)).toBe('abXYc');
    expect(lost).toMatchObject({ status: 'rejected', reason: { reason: 'REQUEST_ID_IN_USE' } });
    expect([loser.slm.requests, loser.llm.requests]).toEqual([[], []]);
    expect(await states(store, 'spec', clock).read('req-1')).toMatchObject({ status: 'completed' });
  });

  it('the replica it was taken from can no longer write its record: no checkpoint, no result, no delete', async () => {
    const store = new InMemoryKeyValueStore();
    const clock = new ManualClock();
    const stale = await deadOwner(store, clock);
    const current = owned(await states(store, 'replica-b', clock).begin(request));
    const read = () => states(store, 'spec', clock).read('req-1');
    expect(await stale.checkpoint(progress(5))).toBe(false);
    expect(stale.superseded).toBe(true);
    const usage = { slmTokens: 1, llmTokens: 0, responseTokens: 1, calls: 0, llmTokenRatio: 0, malformedCommands: 0, noCallCommands: 0, callRecords: [] };
    expect(await stale.complete([], { type: 'completed', finishReason: 'eos', text: 'stale', usage })).toBe(false);
    expect(await stale.abandon()).toBe(false);
    expect(await read()).toMatchObject({ status: 'running', owner: 'replica-b', turn: 0 });
    expect(await current.checkpoint(progress(1))).toBe(true);
    expect(await current.abandon()).toBe(true);
    expect(await read()).toBeUndefined();
  });

  it("the owner's writes survive a store that skipped some of them (bypassed) or lost the record (restarted empty)", async () => {
    const store = new BypassedKeyValueStoreFake(new InMemoryKeyValueStore());
    const clock = new ManualClock();
    const run = owned(await states(store, 'replica-a', clock).begin(request));
    store.bypassed = true;
    expect(await run.checkpoint(progress(1))).toBe(true); // answered, not stored
    store.bypassed = false;
    expect(await run.checkpoint(progress(2))).toBe(true);
    expect(await states(store, 'spec', clock).read('req-1')).toMatchObject({ owner: 'replica-a', turn: 2 });
    await store.delete(states(store, 'spec', clock).key('req-1'));
    expect(await run.checkpoint(progress(3))).toBe(true);
    expect(await states(store, 'spec', clock).read('req-1')).toMatchObject({ owner: 'replica-a', turn: 3 });
    expect(run.superseded).toBe(false);
  });

  it('a record this version cannot read is replaced only as it was read', async () => {
    const inner = new InMemoryKeyValueStore();
    const clock = new ManualClock();
    const key = states(inner, 'spec', clock).key('req-1');
    await inner.set(key, '{"v":0}', 60_000);
    // Another replica replaces the unreadable record between this one's read and its write.
    const racing: KeyValueStore = Object.assign(Object.create(inner) as InMemoryKeyValueStore, {
      compareAndSet: async (k: string, e: string, v: string, t: number) => {
        await inner.set(k, '{"v":0,"other":true}', 60_000);
        return inner.compareAndSet(k, e, v, t);
      },
    });
    await expect(states(racing, 'replica-b', clock).begin(request)).rejects.toMatchObject({ reason: 'REQUEST_ID_IN_USE' });
    expect(await inner.get(key)).toBe('{"v":0,"other":true}');
  });
});

describe('a run that was taken over while it still ran', () => {
  it('stops at its next event with UNAVAILABLE GENERATION_TAKEN_OVER and asks its engines for nothing more', async () => {
    const store = new InMemoryKeyValueStore();
    const clock = new ManualClock();
    const slm = new ScriptedEngine(['a<call>1</call>', 'b<call>1</call>', 'c<call>1</call>', 'd</s>'], { mode: 'text' });
    const llm = new ScriptedEngine(['X', 'Y', 'Z'], { mode: 'text' });
    const stalled = withGenerationState(states(store, 'replica-a', clock), request, { slm, llm }, (engines) =>
      runRelay({ ...engines, clock, pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal),
    );
    const seen: RelayStreamEvent[] = [];
    for (;;) {
      const next = await stalled.next();
      if (next.done === true) throw new Error('ended before the first handoff');
      seen.push(next.value);
      if (next.value.type === 'relayFinished') break;
    }
    // replica-a stalls past its lease; replica-b takes the generation over.
    clock.advance(1_000);
    expect(await states(store, 'replica-b', clock).begin(request)).toMatchObject({ kind: 'resume' });
    await expect(collect({ [Symbol.asyncIterator]: () => stalled })).rejects.toMatchObject({ kind: 'unavailable', reason: 'GENERATION_TAKEN_OVER' });
    expect(llm.requests.length).toBeLessThan(3);
    expect(await states(store, 'spec', clock).read('req-1')).toMatchObject({ status: 'running', owner: 'replica-b' });
  });
});
