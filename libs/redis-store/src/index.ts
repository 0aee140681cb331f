export {
  REDIS_DEFAULTS,
  RedisKeyValueStore,
  redisClientOptions,
  type RedisConnectionOptions,
} from './lib/redis-key-value-store';
export {
  CircuitBreakingKeyValueStore,
  type BypassStats,
  type CircuitBreakingKeyValueStoreOptions,
  type CircuitState,
  type StoreOperation,
} from './lib/circuit-breaking-key-value-store';
