import { RelayError, UnavailableReason } from '@relayllm/relay-core';
import { AdmissionQueue } from './admission-queue';

const never = new AbortController().signal;

describe('AdmissionQueue', () => {
  it('admits up to the limit, queues FIFO, admits the next waiter on release', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 2, maxQueued: 2 });
    const a = await queue.acquire(never);
    await queue.acquire(never);
    const order: string[] = [];
    const c = queue.acquire(never).then((p) => (order.push('c'), p));
    const d = queue.acquire(never).then((p) => (order.push('d'), p));
    expect(queue.stats()).toEqual({ active: 2, queued: 2, limit: 2 });
    a.release();
    a.release(); // idempotent: frees one slot only
    await c;
    expect(order).toEqual(['c']);
    expect(queue.stats()).toEqual({ active: 2, queued: 1, limit: 2 });
    (await c).release();
    await d;
    expect(order).toEqual(['c', 'd']);
  });

  it('a full queue answers resource_exhausted ADMISSION_QUEUE_FULL at once', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueued: 1 });
    await queue.acquire(never);
    void queue.acquire(never);
    await expect(queue.acquire(never)).rejects.toMatchObject({ kind: 'resource_exhausted', reason: 'ADMISSION_QUEUE_FULL' });
  });

  it('maxQueued 0: no waiting at all', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueued: 0 });
    await queue.acquire(never);
    await expect(queue.acquire(never)).rejects.toMatchObject({ reason: 'ADMISSION_QUEUE_FULL' });
  });

  it('a waiter whose caller aborts leaves the queue (cancelled) and never takes a slot', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueued: 4 });
    const first = await queue.acquire(never);
    const caller = new AbortController();
    const waiting = queue.acquire(caller.signal);
    caller.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'cancelled', reason: 'ADMISSION_CANCELLED' });
    expect(queue.stats().queued).toBe(0);
    first.release();
    expect(queue.stats().active).toBe(0);
    await expect(queue.acquire(caller.signal)).rejects.toMatchObject({ kind: 'cancelled' });
  });

  it('the host wait limit ends a wait with resource_exhausted ADMISSION_WAIT_EXPIRED', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueued: 4 });
    await queue.acquire(never);
    const limit = new AbortController();
    const waiting = queue.acquire(never, limit.signal);
    limit.abort();
    await expect(waiting).rejects.toMatchObject({ kind: 'resource_exhausted', reason: 'ADMISSION_WAIT_EXPIRED' });
  });

  it('a wait limit that ends for another cause (an outage ridden out too long) fails the wait with that error', async () => {
    const queue = new AdmissionQueue({ maxConcurrent: 1, maxQueued: 4 });
    await queue.acquire(never);
    const limit = new AbortController();
    const waiting = queue.acquire(never, limit.signal);
    limit.abort(RelayError.unavailable(UnavailableReason.BROKER_DOWN, 'broker down'));
    await expect(waiting).rejects.toMatchObject({ kind: 'unavailable', reason: 'BROKER_DOWN' });
    await expect(queue.acquire(never, limit.signal)).rejects.toMatchObject({ kind: 'unavailable', reason: 'BROKER_DOWN' });
  });

  it('follows a dynamic limit (live workers\' capacity): capacityChanged admits waiters', async () => {
    let capacity = 0;
    const queue = new AdmissionQueue({ maxConcurrent: () => capacity, maxQueued: 4 });
    const waiting = queue.acquire(never);
    expect(queue.stats()).toMatchObject({ active: 0, queued: 1, limit: 0 });
    capacity = 1;
    queue.capacityChanged();
    const permit = await waiting;
    expect(queue.stats()).toMatchObject({ active: 1, queued: 0 });
    permit.release();
  });

  it('rejects a bad maxQueued', () => {
    expect(() => new AdmissionQueue({ maxConcurrent: 1, maxQueued: -1 })).toThrow(expect.objectContaining({ kind: 'invalid_argument' }));
  });

  it('outage is not overload: a declared outage fails waiters and new requests with its own error at once; its end admits again', async () => {
    let capacity = 0;
    const queue = new AdmissionQueue({ maxConcurrent: () => capacity, maxQueued: 4 });
    const outage = RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, 'no SLM worker of "slm" is live');
    const waiting = queue.acquire(never);
    queue.setOutage(outage);
    await expect(waiting).rejects.toBe(outage);
    await expect(queue.acquire(never)).rejects.toBe(outage);
    expect(queue.stats()).toEqual({ active: 0, queued: 0, limit: 0 });
    // Over: overload again (a waiter waits for a slot), and a worker joining admits it.
    queue.setOutage(undefined);
    const next = queue.acquire(never);
    expect(queue.stats().queued).toBe(1);
    capacity = 1;
    queue.capacityChanged();
    await expect(next).resolves.toBeDefined();
  });
});
