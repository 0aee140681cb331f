/**
 * Key/value store with expiry, shared by the relay's replicas: worker affinity
 * for a generation, cached outputs for a prefix, generation state. Values are
 * strings (callers encode, e.g. JSON) so that networked stores (Redis) and the
 * in-memory one behave the same.
 */
export interface KeyValueStore {
  /** The value, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlMs` milliseconds (a positive integer), replacing any previous value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Removes the key; no-op when absent. */
  delete(key: string): Promise<void>;
  /**
   * Atomic create: stores `value` for `ttlMs` only when `key` is absent (Redis
   * `SET NX PX`); resolves true when it stored. This is what makes a
   * request_id owned by one generation across replicas.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /**
   * Atomic compare-and-set: replaces the value of `key` with `next` (for
   * `ttlMs`) only when it is exactly `expected` now (an absent key never
   * matches); resolves true when it replaced. This is what makes a takeover
   * of a generation, and every later write of its record, one owner's only
   * (Redis: a Lua script).
   */
  compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean>;
  /** Atomic: removes `key` only when its value is exactly `expected` now; resolves true when it removed. */
  compareAndDelete(key: string, expected: string): Promise<boolean>;
}

/** What a key holds; part of the key so that namespaces never collide. */
export type StoreNamespace = 'affinity' | 'output' | 'state';

/** Canonical key layout, shared by every KeyValueStore implementation and its users. */
export function storeKey(namespace: StoreNamespace, id: string): string {
  return `relay:${namespace}:${id}`;
}
