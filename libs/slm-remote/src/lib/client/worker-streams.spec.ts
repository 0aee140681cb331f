import { RelayError, UnavailableReason } from '@relayllm/relay-core';
import { WorkerStreams, type SlotHoldingStream } from './worker-streams';

/** A stream whose call ends when the spec says so (or when it is abandoned, as a cancelled gRPC call does). */
class StreamStub implements SlotHoldingStream {
  abandonedWith: RelayError | undefined;
  private ended: (() => void) | undefined;

  constructor(readonly worker: { workerId: string }) {}

  onEnded(listener: () => void): void {
    this.ended = listener;
  }

  abandon(error: RelayError): void {
    this.abandonedWith = error;
    this.end();
  }

  end(): void {
    this.ended?.();
    this.ended = undefined;
  }
}

describe('WorkerStreams', () => {
  it('counts a stream until its call ends (release alone does not free the slot), telling each freed slot', () => {
    const freed: string[] = [];
    const slots = new WorkerStreams((workerId) => freed.push(workerId));
    const [a1, a2, b1] = [new StreamStub({ workerId: 'a' }), new StreamStub({ workerId: 'a' }), new StreamStub({ workerId: 'b' })];
    for (const s of [a1, a2, b1]) slots.add(s);
    expect(slots.counts()).toEqual(new Map([['a', 2], ['b', 1]]));
    a1.end();
    expect([slots.count('a'), freed]).toEqual([1, ['a']]);
    b1.end();
    expect(slots.counts()).toEqual(new Map([['a', 1]]));
  });

  it('abandons every stream on a worker that left the directory, with that worker named', () => {
    const slots = new WorkerStreams(() => undefined);
    const [a, b] = [new StreamStub({ workerId: 'a' }), new StreamStub({ workerId: 'b' })];
    slots.add(a);
    slots.add(b);
    const ended = slots.abandonGone(new Set(['b']), (id) => RelayError.unavailable(UnavailableReason.SLM_WORKER_GONE, `worker ${id} left`));
    expect(ended).toBe(1);
    expect(a.abandonedWith).toMatchObject({ reason: 'SLM_WORKER_GONE', message: 'worker a left' });
    expect(b.abandonedWith).toBeUndefined();
    expect(slots.counts()).toEqual(new Map([['b', 1]]));
  });
});
