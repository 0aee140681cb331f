/**
 * Key/value store with expiry, shared by the relay's replicas: worker affinity
 * for a generation, cached outputs for a prefix, generation state. Values are
 * strings (callers encode, e.g. JSON) so that networked stores (Redis) and the
 * in-memory one behave the same.
 */
export interface PrefixStore {
  /** The value, or undefined when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** Stores `value` for `ttlMs` milliseconds (a positive integer), replacing any previous value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Removes the key; no-op when absent. */
  delete(key: string): Promise<void>;
  /**
   * Optional atomic create: stores `value` only when `key` is absent (Redis
   * `SET NX PX`); resolves true when it stored. Users fall back to get-then-set
   * (not atomic across replicas) when a store lacks it.
   */
  setIfAbsent?(key: string, value: string, ttlMs: number): Promise<boolean>;
}

/** What a key holds; part of the key so that namespaces never collide. */
export type PrefixStoreNamespace = 'affinity' | 'output' | 'state';

/** Canonical key layout, shared by every PrefixStore implementation and its users. */
export function prefixStoreKey(namespace: PrefixStoreNamespace, id: string): string {
  return `relay:${namespace}:${id}`;
}
