import type { KeyValueStore } from '../ports/key-value-store';

/** A store that is down: every call rejects with `error` (a Redis outage, as the users of a store see it). */
export class FailingKeyValueStoreFake implements KeyValueStore {
  constructor(private readonly error: unknown = new Error('store down')) {}

  get(): Promise<string | undefined> {
    return Promise.reject(this.error);
  }

  set(): Promise<void> {
    return Promise.reject(this.error);
  }

  setIfAbsent(): Promise<boolean> {
    return Promise.reject(this.error);
  }

  compareAndSet(): Promise<boolean> {
    return Promise.reject(this.error);
  }

  compareAndDelete(): Promise<boolean> {
    return Promise.reject(this.error);
  }

  delete(): Promise<void> {
    return Promise.reject(this.error);
  }
}

/** Wraps a real store and records what reaches it: the keys read and the `key=value` writes. */
export class RecordingKeyValueStoreFake implements KeyValueStore {
  readonly reads: string[] = [];
  readonly writes: string[] = [];

  constructor(private readonly inner: KeyValueStore) {}

  get(key: string): Promise<string | undefined> {
    this.reads.push(key);
    return this.inner.get(key);
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    this.writes.push(`${key}=${value}`);
    return this.inner.set(key, value, ttlMs);
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    this.writes.push(`${key}=${value}`);
    return this.inner.setIfAbsent(key, value, ttlMs);
  }

  compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean> {
    this.writes.push(`${key}=${next}`);
    return this.inner.compareAndSet(key, expected, next, ttlMs);
  }

  compareAndDelete(key: string, expected: string): Promise<boolean> {
    return this.inner.compareAndDelete(key, expected);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}

/**
 * Wraps a real store; while `bypassed` is set it answers as
 * CircuitBreakingKeyValueStore does with Redis away: reads miss, writes
 * report success and store nothing.
 */
export class BypassedKeyValueStoreFake implements KeyValueStore {
  bypassed = false;

  constructor(private readonly inner: KeyValueStore) {}

  get(key: string): Promise<string | undefined> {
    return this.bypassed ? Promise.resolve(undefined) : this.inner.get(key);
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    return this.bypassed ? Promise.resolve() : this.inner.set(key, value, ttlMs);
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.bypassed ? Promise.resolve(true) : this.inner.setIfAbsent(key, value, ttlMs);
  }

  compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean> {
    return this.bypassed ? Promise.resolve(true) : this.inner.compareAndSet(key, expected, next, ttlMs);
  }

  compareAndDelete(key: string, expected: string): Promise<boolean> {
    return this.bypassed ? Promise.resolve(true) : this.inner.compareAndDelete(key, expected);
  }

  delete(key: string): Promise<void> {
    return this.bypassed ? Promise.resolve() : this.inner.delete(key);
  }
}
