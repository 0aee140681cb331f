export {
  REDIS_DEFAULTS,
  RedisPrefixStore,
  RedisStoreErrorReasons,
  redisClientOptions,
  type RedisConnectionOptions,
} from './lib/redis-prefix-store';
export {
  BypassingPrefixStore,
  type BypassStats,
  type BypassingPrefixStoreOptions,
  type CircuitState,
} from './lib/bypassing-prefix-store';
