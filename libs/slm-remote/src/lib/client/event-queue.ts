/**
 * An unbounded single-consumer queue between event callbacks and an async
 * loop. Unbounded is safe where it is used: a generate's frames are bounded by
 * its maxTokens (the consumer checks), and the queue lives for one generate.
 */
export class EventQueue<T> {
  private readonly items: T[] = [];
  private waiter: ((item: T | undefined) => void) | undefined;
  private ended = false;

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter(item);
    } else {
      this.items.push(item);
    }
  }

  /** The next item; undefined once ended (items pushed before the end are dropped). */
  next(): Promise<T | undefined> {
    if (this.ended) return Promise.resolve(undefined);
    if (this.items.length > 0) return Promise.resolve(this.items.shift());
    return new Promise((resolve) => (this.waiter = resolve));
  }

  end(): void {
    this.ended = true;
    this.items.length = 0;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(undefined);
  }
}
