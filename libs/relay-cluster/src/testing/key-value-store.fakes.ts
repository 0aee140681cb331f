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

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }
}
