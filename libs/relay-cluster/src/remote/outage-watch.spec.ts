import { RelayError, UnavailableReason } from '@relayllm/relay-core';
import { OutageWatch, type Schedule } from './outage-watch';

/** A schedule whose timers run only when the spec says so. */
class ManualSchedule {
  readonly pending = new Map<number, { ms: number; run: () => void }>();
  private next = 0;
  readonly schedule: Schedule = (ms, run) => {
    const id = (this.next += 1);
    this.pending.set(id, { ms, run });
    return () => this.pending.delete(id);
  };

  fire(): void {
    const timers = [...this.pending.values()];
    this.pending.clear();
    for (const timer of timers) timer.run();
  }
}

const noSlm = RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, 'no SLM worker');
const noLlm = RelayError.unavailable(UnavailableReason.NO_LLM_WORKER, 'no LLM worker');

function watch(graceMs = 2_000) {
  const state: { cause: RelayError | undefined; seen: (string | undefined)[] } = { cause: undefined, seen: [] };
  const timers = new ManualSchedule();
  const outage = new OutageWatch({ probe: () => state.cause, graceMs, onChange: (e) => state.seen.push(e?.reason), schedule: timers.schedule });
  return { state, timers, outage };
}

describe('OutageWatch', () => {
  it('declares an outage only once the probe has failed for the whole grace', () => {
    const { state, timers, outage } = watch();
    outage.check();
    expect(timers.pending.size).toBe(0);
    state.cause = noSlm;
    outage.check();
    outage.check(); // one grace timer, not one per change
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([2_000]);
    expect(outage.declared).toBeUndefined();
    timers.fire();
    expect(outage.declared).toBe(noSlm);
    expect(state.seen).toEqual(['NO_SLM_WORKER']);
  });

  it('a worker back within the grace: no outage; after it: the outage ends', () => {
    const { state, timers, outage } = watch();
    state.cause = noSlm;
    outage.check();
    state.cause = undefined;
    outage.check();
    expect(timers.pending.size).toBe(0);
    state.cause = noLlm;
    outage.check();
    timers.fire();
    state.cause = noSlm; // another role now: the declared outage says so
    outage.check();
    state.cause = undefined;
    outage.check();
    expect(state.seen).toEqual(['NO_LLM_WORKER', 'NO_SLM_WORKER', undefined]);
    expect(outage.declared).toBeUndefined();
  });

  it('a grace of 0 declares at once; close() cancels a pending grace', () => {
    const now = watch(0);
    now.state.cause = noSlm;
    now.outage.check();
    expect(now.outage.declared).toBe(noSlm);
    const later = watch();
    later.state.cause = noSlm;
    later.outage.check();
    later.outage.close();
    expect(later.timers.pending.size).toBe(0);
  });
});
