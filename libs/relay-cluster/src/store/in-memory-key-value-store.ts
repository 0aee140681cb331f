import { InvalidArgumentReason, RelayError } from '@relayllm/relay-core';
import { SystemClock, type Clock } from '@relayllm/relay-core';
import type { KeyValueStore } from '../ports/key-value-store';

export interface InMemoryKeyValueStoreOptions {
  clock?: Clock;
  /**
   * Bound on live entries; when full, the entry written longest ago is evicted
   * first. Keeps a single process from growing without limit (default 10 000).
   */
  maxEntries?: number;
}

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
    throw RelayError.invalidArgument(InvalidArgumentReason.TTL_RANGE, `ttlMs must be a positive integer, got ${ttlMs}`, 'ttlMs');
  }
}

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * KeyValueStore in process memory, for tests and single-replica deployments.
 * Expiry is checked lazily against the injected clock (no timers), so it is
 * deterministic under a manual clock and leaves nothing running.
 */
export class InMemoryKeyValueStore implements KeyValueStore {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: Clock;
  private readonly maxEntries: number;

  constructor(options: InMemoryKeyValueStoreOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw RelayError.invalidArgument(InvalidArgumentReason.MAX_ENTRIES_RANGE, 'maxEntries must be a positive integer', 'maxEntries');
    }
  }

  async get(key: string): Promise<string | undefined> {
    return this.live(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.write(key, value, ttlMs);
  }

  // Each operation reads and writes without an await in between: two
  // concurrent callers cannot both see the old value.
  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    if (this.live(key) !== undefined) return false;
    this.write(key, value, ttlMs);
    return true;
  }

  async compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    if (this.live(key) !== expected) return false;
    this.write(key, next, ttlMs);
    return true;
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    if (this.live(key) !== expected) return false;
    this.entries.delete(key);
    return true;
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  /** Live (unexpired) entries; for tests and metrics. */
  size(): number {
    this.dropExpired();
    return this.entries.size;
  }

  private live(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private write(key: string, value: string, ttlMs: number): void {
    checkTtl(ttlMs);
    // Re-inserting moves the key to the end of the Map's insertion order,
    // which is what eviction relies on.
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    this.evictIfFull();
  }

  private evictIfFull(): void {
    if (this.entries.size <= this.maxEntries) return;
    this.dropExpired();
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(key);
    }
  }

  private dropExpired(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}
