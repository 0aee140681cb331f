import { InMemoryKeyValueStore, type KeyValueStore } from '@relayllm/relay-cluster';
import { CircuitBreakingKeyValueStore, RedisKeyValueStore, type StoreOperation } from '@relayllm/redis-store';
import type { OrchestratorConfig } from './config';

/** The store all replicas share, with the handle that closes it. */
export interface SharedStoreHandle {
  store: KeyValueStore;
  /** Bypass counters (Redis only). */
  stats(): { bypassed: number; failures: number; state: string } | undefined;
  close(): Promise<void>;
}

/**
 * Redis behind a circuit breaker: Redis down or slow means misses (no
 * affinity, no cached outputs, no idempotency), never failed generations.
 * `off` keeps state in this process (one replica only; for local runs).
 */
/** What the shared store reports: failures (a warning: generations go on without the store) and each bypassed call (a metric). */
export interface SharedStoreEvents {
  warn(line: string): void;
  bypassed?(operation: StoreOperation): void;
}

export function createSharedStore(
  config: Pick<OrchestratorConfig, 'redisUrl' | 'redisPassword' | 'redisCommandTimeoutMs' | 'redisCoolDownMs'>,
  events: SharedStoreEvents = { warn: () => undefined },
): SharedStoreHandle {
  if (config.redisUrl === 'off') {
    return { store: new InMemoryKeyValueStore({ maxEntries: 100_000 }), stats: () => undefined, close: async () => undefined };
  }
  const redis = new RedisKeyValueStore({
    url: config.redisUrl,
    password: config.redisPassword === '' ? undefined : config.redisPassword,
    commandTimeoutMs: config.redisCommandTimeoutMs,
  });
  let lastLogged = 0;
  const bypassing = new CircuitBreakingKeyValueStore(redis, {
    coolDownMs: config.redisCoolDownMs,
    callTimeoutMs: 2 * config.redisCommandTimeoutMs,
    onBypass: (operation) => events.bypassed?.(operation),
    onFailure: (operation, error) => {
      // One line per cool-down at most: a dead Redis must not flood the log.
      const now = Date.now();
      if (now - lastLogged < config.redisCoolDownMs) return;
      lastLogged = now;
      events.warn(`redis ${operation} failed, bypassing for ${config.redisCoolDownMs} ms: ${error instanceof Error ? error.message : String(error)}`);
    },
  });
  return { store: bypassing, stats: () => bypassing.stats(), close: () => redis.close() };
}
