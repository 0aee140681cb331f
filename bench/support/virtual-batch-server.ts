/**
 * A model server on virtual time, as a batched decoder: one step takes
 * `stepMs(batch size)` (batch up to `maxBatch`) and gives one token to
 * every sequence that was waiting when the step started. Sequences that ask
 * during a step join the next one (continuous batching). Time only moves in
 * `VirtualScheduler.run`, between steps, once every promise chain has settled.
 */
export class VirtualClock {
  private t = 0;

  now(): number {
    return this.t;
  }

  advanceTo(t: number): void {
    if (t < this.t) throw new RangeError(`virtual time cannot go back (${t} < ${this.t})`);
    this.t = t;
  }
}

interface Waiter {
  resolve(): void;
}

export class VirtualBatchServer {
  private waiting: Waiter[] = [];
  private batch: Waiter[] | undefined;
  private endsAt = 0;
  steps = 0;
  tokens = 0;
  busyMs = 0;

  constructor(
    readonly name: string,
    readonly stepMs: (batch: number) => number,
    readonly maxBatch: number,
  ) {}

  /** Resolves when the step that produces this sequence's next token ends; an aborted wait gives its place up. */
  nextToken(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = {
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      const onAbort = (): void => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Starts a step at `now` when idle and someone waits. */
  startIfIdle(now: number): void {
    if (this.batch !== undefined || this.waiting.length === 0) return;
    this.batch = this.waiting.slice(0, this.maxBatch);
    this.waiting = this.waiting.slice(this.batch.length);
    this.endsAt = now + this.stepMs(this.batch.length);
  }

  /** When the running step ends (undefined when idle). */
  get stepEndsAt(): number | undefined {
    return this.batch === undefined ? undefined : this.endsAt;
  }

  /** Ends the running step: every sequence in it gets its token. */
  finishStep(): void {
    const batch = this.batch ?? [];
    this.batch = undefined;
    this.steps += 1;
    this.tokens += batch.length;
    this.busyMs += this.stepMs(batch.length);
    for (const waiter of batch) waiter.resolve();
  }
}

/** Lets every pending promise chain run (no timers are involved in the simulated path). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Discrete-event loop: settle, start idle servers that have waiters, jump to
 * the earliest step end, finish it, repeat until `done()`. Bounded by
 * `maxSteps` so a wiring mistake cannot spin forever.
 */
export async function runVirtual(clock: VirtualClock, servers: readonly VirtualBatchServer[], done: () => boolean, maxSteps = 10_000_000): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    await settle();
    await settle();
    for (const server of servers) server.startIfIdle(clock.now());
    const ends = servers.map((s) => s.stepEndsAt).filter((t): t is number => t !== undefined);
    if (ends.length === 0) {
      if (done()) return;
      throw new Error('simulation stalled: nobody waits for a token but generations are not done');
    }
    const next = Math.min(...ends);
    clock.advanceTo(next);
    for (const server of servers) if (server.stepEndsAt === next) server.finishStep();
  }
  throw new Error(`simulation ran past ${maxSteps} steps`);
}
