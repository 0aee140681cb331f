import { CapacityWaiters } from './capacity-waiters';

const flush = () => new Promise((resolve) => setImmediate(resolve));
const LONG = 60_000;

describe('CapacityWaiters', () => {
  it('a freed slot wakes the oldest waiter only; an unknown change wakes all', async () => {
    const waiters = new CapacityWaiters();
    const woken: number[] = [];
    const never = new AbortController().signal;
    const all = [1, 2, 3].map((n) => waiters.wait(LONG, never).then(() => woken.push(n)));
    waiters.wake(1);
    await flush();
    expect(woken).toEqual([1]);
    expect(waiters.size).toBe(2);
    waiters.wake();
    await Promise.all(all);
    expect(woken).toEqual([1, 2, 3]);
    expect(waiters.size).toBe(0);
  });

  it('an aborted waiter leaves the queue, so a later slot goes to the next one', async () => {
    const waiters = new CapacityWaiters();
    const abort = new AbortController();
    const woken: string[] = [];
    void waiters.wait(LONG, abort.signal).then(() => woken.push('aborted'));
    void waiters.wait(LONG, new AbortController().signal).then(() => woken.push('next'));
    abort.abort();
    await flush();
    waiters.wake(1);
    await flush();
    expect(woken).toEqual(['aborted', 'next']);
    expect(waiters.size).toBe(0);
  });
});
