import { Redis, type RedisOptions } from 'ioredis';
import { InvalidArgumentReason, UnavailableReason, RelayError } from '@relayllm/relay-core';
import { type KeyValueStore } from '@relayllm/relay-cluster';

export interface RedisConnectionOptions {
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  url: string;
  /** Overrides a password in the url (kept out of the url in config/logs). */
  password?: string;
  /** Force TLS even for a redis:// url (rediss:// already implies it). */
  tls?: boolean;
  /** A command without a reply within this many ms fails (default 250). */
  commandTimeoutMs?: number;
  /** TCP connect deadline (default 1 000). */
  connectTimeoutMs?: number;
  /** Longest pause between reconnect attempts (default 2 000). */
  maxReconnectDelayMs?: number;
}

export const REDIS_DEFAULTS = {
  commandTimeoutMs: 250,
  connectTimeoutMs: 1_000,
  maxReconnectDelayMs: 2_000,
} as const;

/**
 * ioredis options for a store that must never make a caller wait on a dead
 * Redis: no offline queue (a command while disconnected fails at once, so
 * nothing piles up in memory), no per-command retries, a short command
 * timeout, and background reconnects with capped backoff.
 */
export function redisClientOptions(options: RedisConnectionOptions): RedisOptions {
  const maxDelay = options.maxReconnectDelayMs ?? REDIS_DEFAULTS.maxReconnectDelayMs;
  const result: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    lazyConnect: false,
  };
  if (options.password !== undefined) result.password = options.password;
  if (options.tls === true) result.tls = {};
  return result;
}

/**
 * Compare-and-set / compare-and-delete as Lua scripts: Redis runs a script
 * atomically, so no other client's write falls between the GET and the SET
 * (or DEL). KEYS[1] = key, ARGV[1] = expected value; ARGV[2] = next value,
 * ARGV[3] = ttl (ms). An absent key reads as false, never equal to a string.
 */
const COMPARE_AND_SET_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0`;
const COMPARE_AND_DELETE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
    throw RelayError.invalidArgument(InvalidArgumentReason.TTL_RANGE, `ttlMs must be a positive integer, got ${ttlMs}`, 'ttlMs');
  }
}

function unavailable(operation: string, error: unknown): RelayError {
  const detail = error instanceof Error ? error.message : String(error);
  return RelayError.unavailable(UnavailableReason.REDIS_UNAVAILABLE, `redis ${operation} failed: ${detail}`, { cause: error });
}

/**
 * KeyValueStore on Redis. Keys are used as given (callers build them with
 * relay-core's `storeKey`, so the layout is `relay:<namespace>:<id>`);
 * values are strings; `set` writes with `PX ttl` so every key expires.
 * Every failure is a RelayError `unavailable` (REDIS_UNAVAILABLE); wrap the
 * store in CircuitBreakingKeyValueStore to turn those into misses.
 */
export class RedisKeyValueStore implements KeyValueStore {
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private closed = false;
  /** Connection errors seen (ioredis emits them while reconnecting); for metrics. */
  connectionErrors = 0;

  constructor(options: RedisConnectionOptions | { client: Redis }) {
    if ('client' in options) {
      this.client = options.client;
      this.ownsClient = false;
    } else {
      this.client = new Redis(options.url, redisClientOptions(options));
      this.ownsClient = true;
    }
    // Without a listener ioredis prints every reconnect failure; the
    // failures already surface as rejected commands.
    this.client.on('error', () => {
      this.connectionErrors += 1;
    });
  }

  /** true once connected and ready for commands. */
  isReady(): boolean {
    return this.client.status === 'ready';
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const value = await this.client.get(key);
      return value ?? undefined;
    } catch (error) {
      throw unavailable('GET', error);
    }
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    checkTtl(ttlMs);
    try {
      await this.client.set(key, value, 'PX', ttlMs);
    } catch (error) {
      throw unavailable('SET', error);
    }
  }

  /** SET NX PX: atomic across replicas. */
  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    try {
      return (await this.client.set(key, value, 'PX', ttlMs, 'NX')) === 'OK';
    } catch (error) {
      throw unavailable('SET NX', error);
    }
  }

  /** A Lua script (EVAL): atomic across replicas. */
  async compareAndSet(key: string, expected: string, next: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    try {
      return (await this.client.eval(COMPARE_AND_SET_SCRIPT, 1, key, expected, next, ttlMs)) === 1;
    } catch (error) {
      throw unavailable('compare-and-set', error);
    }
  }

  /** A Lua script (EVAL): atomic across replicas. */
  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    try {
      return (await this.client.eval(COMPARE_AND_DELETE_SCRIPT, 1, key, expected)) === 1;
    } catch (error) {
      throw unavailable('compare-and-delete', error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.del(key);
    } catch (error) {
      throw unavailable('DEL', error);
    }
  }

  /** Closes the connection (only one this store opened). Idempotent. */
  async close(): Promise<void> {
    if (this.closed || !this.ownsClient) return;
    this.closed = true;
    // disconnect(): no QUIT round trip, which could wait on a dead server.
    this.client.disconnect();
  }
}
