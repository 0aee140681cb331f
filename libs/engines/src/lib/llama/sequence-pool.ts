import { ResourceExhaustedReason, UnavailableReason, RelayError } from '@relayllm/relay-core';

export interface SequencePoolOptions {
  /** How long a request waits for a free sequence before resource_exhausted (0: never waits). */
  waitTimeoutMs: number;
  /** Requests allowed to wait at once; one more is refused at once (resource_exhausted). */
  maxWaiting: number;
}

/** Exclusive use of one context sequence, for one generate() call. */
export interface SequenceLease<S> {
  readonly sequence: S;
  /** The sequence already holds this sequenceId's state (KV cache may be reused). */
  readonly owned: boolean;
  /** Gives the sequence back; without keepState its cache is treated as unknown next time. Idempotent. */
  release(keepState: boolean): void;
}

interface Slot<S> {
  readonly sequence: S;
  owner: string | undefined;
  busy: boolean;
  lastUsed: number;
  /** The owner's generation ended while a request still held the slot: drop the ownership on release. */
  forgetOnRelease: boolean;
}

interface Waiter<S> {
  sequenceId: string;
  resolve(lease: SequenceLease<S> | undefined): void;
  reject(error: unknown): void;
  dispose(): void;
}

/**
 * The N sequences of one llama.cpp context, keyed by the relay's sequenceId.
 * A sequenceId keeps its sequence (and so its KV cache) between requests until
 * that sequence is needed by another id while none is unowned: then the least
 * recently used free one is taken over. When every sequence is busy a request
 * waits (FIFO, bounded count and time, ended by its abort signal) instead of
 * failing, because a relay turn frees its sequence within one model step.
 */
export class SequencePool<S> {
  private readonly slots: Slot<S>[];
  private waiters: Waiter<S>[] = [];
  private idleWaiters: Array<() => void> = [];
  private tick = 0;
  private closed = false;

  constructor(
    sequences: readonly S[],
    private readonly options: SequencePoolOptions,
  ) {
    this.slots = sequences.map((sequence) => ({ sequence, owner: undefined, busy: false, lastUsed: 0, forgetOnRelease: false }));
  }

  busyCount(): number {
    return this.slots.filter((s) => s.busy).length;
  }

  /** Resolves with a lease, or undefined when `signal` aborts first. */
  acquire(sequenceId: string, signal: AbortSignal): Promise<SequenceLease<S> | undefined> {
    if (this.closed) return Promise.reject(closedError());
    if (signal.aborted) return Promise.resolve(undefined);
    const lease = this.tryTake(sequenceId);
    if (lease !== undefined) return Promise.resolve(lease);
    if (this.options.waitTimeoutMs <= 0 || this.waiters.length >= this.options.maxWaiting) {
      return Promise.reject(busyError(this.slots.length, 'no request may wait'));
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => settle(() => resolve(undefined));
      const timer = setTimeout(
        () => settle(() => reject(busyError(this.slots.length, `waited ${this.options.waitTimeoutMs} ms`))),
        this.options.waitTimeoutMs,
      );
      const waiter: Waiter<S> = {
        sequenceId,
        resolve: (l) => settle(() => resolve(l)),
        reject: (e) => settle(() => reject(e)),
        dispose: () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
        },
      };
      const settle = (fn: () => void): void => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.dispose();
        fn();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * The generation of `sequenceId` is over: its sequence stops being its own,
   * so the next id takes it before any sequence whose owner may still come
   * back (at once when idle, else when the running request gives it back).
   */
  forget(sequenceId: string): void {
    const slot = this.slots.find((s) => s.owner === sequenceId);
    if (slot === undefined) return;
    if (slot.busy) slot.forgetOnRelease = true;
    else slot.owner = undefined;
  }

  /** Refuses new requests and fails those waiting (unavailable). */
  close(): void {
    this.closed = true;
    for (const waiter of [...this.waiters]) waiter.reject(closedError());
  }

  /** Resolves once no sequence is leased. */
  idle(): Promise<void> {
    if (this.busyCount() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private tryTake(sequenceId: string): SequenceLease<S> | undefined {
    const own = this.slots.find((s) => s.owner === sequenceId);
    // A second request on a busy id waits for it rather than splitting the
    // id's state over two sequences.
    if (own !== undefined) return own.busy ? undefined : this.lease(own, true);
    const free = this.slots.filter((s) => !s.busy);
    if (free.length === 0) return undefined;
    const slot =
      free.find((s) => s.owner === undefined) ?? free.reduce((lru, s) => (s.lastUsed < lru.lastUsed ? s : lru));
    slot.owner = sequenceId;
    slot.forgetOnRelease = false;
    return this.lease(slot, false);
  }

  private lease(slot: Slot<S>, owned: boolean): SequenceLease<S> {
    slot.busy = true;
    let released = false;
    return {
      sequence: slot.sequence,
      owned,
      release: (keepState: boolean) => {
        if (released) return;
        released = true;
        slot.busy = false;
        slot.lastUsed = ++this.tick;
        if (!keepState || slot.forgetOnRelease) slot.owner = undefined;
        slot.forgetOnRelease = false;
        this.onRelease();
      },
    };
  }

  private onRelease(): void {
    for (const waiter of [...this.waiters]) {
      if (!this.waiters.includes(waiter)) continue;
      const lease = this.tryTake(waiter.sequenceId);
      if (lease !== undefined) waiter.resolve(lease);
    }
    if (this.busyCount() === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of idle) resolve();
    }
  }
}

function busyError(sequences: number, detail: string): RelayError {
  return RelayError.resourceExhausted(ResourceExhaustedReason.ENGINE_SEQUENCES_BUSY, `all ${sequences} engine sequences are busy (${detail})`);
}

function closedError(): RelayError {
  return RelayError.unavailable(UnavailableReason.ENGINE_CLOSED, 'engine is closed');
}
