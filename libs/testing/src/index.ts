export { waitForPort } from './ports';
export { referenceModelDir, repoRoot } from './model-dir';
export { freePort } from './free-port';
export { startRedisServer, type RedisServerHandle, type RedisServerOptions } from './redis-server';
export { startNatsServer, type NatsServerHandle, type NatsServerOptions } from './nats-server';
export { startAppProcess, type AppProcessHandle, type AppProcessOptions } from './app-process';
export {
  PLAIN_MODE_ENV,
  READY_LINES,
  startLocalCluster,
  startOrchestratorProcess,
  type LocalClusterHandle,
  type LocalClusterOptions,
  type LocalClusterSecurity,
} from './local-cluster';
export {
  startLocalServices,
  type LocalServicesConnection,
  type LocalServicesHandle,
  type LocalServicesOptions,
  type LocalServicesSecrets,
} from './local-services';
export { generateTestCertificates, type TestCertificates } from './test-certs';
export { healthCheckClient, type HealthCheckClient } from './health-client';
export { natsServerFixture, type NatsServerFixture } from './nats-fixture';
export {
  BATCHED_PROMPTS,
  BENCH_FALLBACK_PROMPTS,
  DEMO_ANSWER,
  DISTINCT_FIRST_PROMPTS,
  EVAL_ITEMS,
  IN_TASK_PROMPT,
  LONG_PACED_PROMPT,
  METRICS_FILLER_PROMPTS,
  OFF_TASK_PROMPT,
  REMOTE_SLM_QUESTIONS,
  RESUME_PROMPT,
  SAMPLED_DRAWS_PROMPT,
  SHORT_PROMPT,
  SLM_WORKER_QUESTIONS,
  TWO_CALL_PROMPT,
} from './reference-prompts';
export { until } from './until';
