/**
 * Generates waiting for a worker slot, first come first woken. A freed slot
 * wakes one waiter, not all of them: a thousand generates waiting on a full
 * pool must not all run a new round for every stream that ends. A change
 * whose size is unknown (a worker joined or left) wakes everyone.
 */
export class CapacityWaiters {
  private readonly queue: Array<() => void> = [];

  /** Waiters not woken yet. */
  get size(): number {
    return this.queue.length;
  }

  /** Resolves when woken, after `ms`, or when `signal` aborts, whichever comes first. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        const index = this.queue.indexOf(done);
        if (index >= 0) this.queue.splice(index, 1);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      if (signal.aborted) done();
      else this.queue.push(done);
    });
  }

  /** Wakes the `slots` oldest waiters (undefined: every waiter). */
  wake(slots?: number): void {
    const count = slots === undefined ? this.queue.length : Math.max(0, Math.floor(slots));
    for (const done of this.queue.slice(0, count)) done();
  }
}
