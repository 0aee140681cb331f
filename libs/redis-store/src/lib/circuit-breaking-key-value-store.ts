import { InvalidArgumentReason, RelayError, SystemClock, type Clock } from '@relayllm/relay-core';
import { type KeyValueStore } from '@relayllm/relay-cluster';

export interface CircuitBreakingKeyValueStoreOptions {
  clock?: Clock;
  /** After a failure, calls skip the store for this long, then one call probes it (default 2 000 ms). */
  coolDownMs?: number;
  /**
   * Deadline for one call to the inner store (default 500 ms), on top of the
   * inner store's own timeouts, so that a hung store cannot hold a relay.
   */
  callTimeoutMs?: number;
  /** Told about each failure of the inner store (log/metrics); must not throw. */
  onFailure?: (operation: StoreOperation, error: unknown) => void;
  /**
   * Told about each call answered without the inner store (the circuit was
   * open, or the call failed or timed out): a fault counter
   * (`relayllm_store_bypass_total`); must not throw.
   */
  onBypass?: (operation: StoreOperation) => void;
}

export type StoreOperation = 'get' | 'set' | 'setIfAbsent' | 'compareAndSet' | 'compareAndDelete' | 'delete';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface BypassStats {
  state: CircuitState;
  /** Calls answered without the inner store (miss / no-op). */
  bypassed: number;
  /** Calls to the inner store that failed or timed out. */
  failures: number;
}

/**
 * Wraps a KeyValueStore that may be down (Redis) so that its users never fail
 * or wait because of it: every failure or timeout behaves as a miss
 * (get → undefined, set/delete → no-op). A circuit breaker keeps a dead store
 * from costing a timeout per call: after a failure the store is skipped for
 * `coolDownMs`; then a single call probes it (the others keep bypassing) and
 * its success closes the circuit again.
 *
 * Invalid arguments (a bad ttl) are still thrown: they are caller bugs, not
 * store outages.
 */
export class CircuitBreakingKeyValueStore implements KeyValueStore {
  private readonly clock: Clock;
  private readonly coolDownMs: number;
  private readonly callTimeoutMs: number;
  private openUntil = 0;
  private probing = false;
  private tripped = false;
  private bypassed = 0;
  private failures = 0;

  constructor(
    private readonly inner: KeyValueStore,
    private readonly options: CircuitBreakingKeyValueStoreOptions = {},
  ) {
    this.clock = options.clock ?? new SystemClock();
    this.coolDownMs = options.coolDownMs ?? 2_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 500;
  }

  stats(): BypassStats {
    return { state: this.state(), bypassed: this.bypassed, failures: this.failures };
  }

  get(key: string): Promise<string | undefined> {
    return this.call('get', () => this.inner.get(key), undefined);
  }

  set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    return this.call('set', () => this.inner.set(key, value, ttlMs), undefined);
  }

  /**
   * The inner store's atomic create; bypassed (store down) it answers true:
   * without the store there is nothing to coordinate on, and refusing every
   * request would turn an optimisation outage into a full outage.
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    return this.call('setIfAbsent', () => this.inner.setIfAbsent(key, value, ttlMs), true);
  }

  /** The inner store's compare-and-set; bypassed it answers true, as setIfAbsent does (nothing to coordinate on). */
  compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    return this.call('compareAndSet', () => this.inner.compareAndSet(key, expected, next, ttlMs), true);
  }

  /** The inner store's compare-and-delete; bypassed it answers true (a no-op, as delete). */
  compareAndDelete(key: string, expected: string): Promise<boolean> {
    return this.call('compareAndDelete', () => this.inner.compareAndDelete(key, expected), true);
  }

  delete(key: string): Promise<void> {
    return this.call('delete', () => this.inner.delete(key), undefined);
  }

  private state(): CircuitState {
    if (!this.tripped) return 'closed';
    return this.clock.now() < this.openUntil || this.probing ? 'open' : 'half_open';
  }

  private async call<T>(operation: StoreOperation, run: () => Promise<T>, missValue: T): Promise<T> {
    const state = this.state();
    if (state === 'open') return this.bypass(operation, missValue);
    const isProbe = state === 'half_open';
    if (isProbe) this.probing = true;
    try {
      const value = await withTimeout(run(), this.callTimeoutMs);
      // Only a probe closes the circuit: a slow call that started before the
      // trip and succeeds late says nothing about the store now.
      if (isProbe) this.tripped = false;
      return value;
    } catch (error) {
      this.failures += 1;
      this.tripped = true;
      this.openUntil = this.clock.now() + this.coolDownMs;
      this.options.onFailure?.(operation, error);
      return this.bypass(operation, missValue);
    } finally {
      if (isProbe) this.probing = false;
    }
  }

  private bypass<T>(operation: StoreOperation, missValue: T): T {
    this.bypassed += 1;
    this.options.onBypass?.(operation);
    return missValue;
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
    throw RelayError.invalidArgument(InvalidArgumentReason.TTL_RANGE, `ttlMs must be a positive integer, got ${ttlMs}`, 'ttlMs');
  }
}

class StoreCallTimeout extends Error {
  constructor(ms: number) {
    super(`store call took longer than ${ms} ms`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreCallTimeout(ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
