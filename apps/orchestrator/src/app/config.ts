import { observabilityConfigFromEnv, type ObservabilityConfig } from '@relayllm/observability';
import {
  apiSecurityFromEnv,
  natsChannelWarning,
  natsSecurityFromEnv,
  PlainModePolicy,
  redisChannelWarning,
  slmClientChannelWarning,
  slmClientTlsFromEnv,
  type ApiSecurityConfig,
  type NatsSecurityOptions,
  type SlmClientTls,
} from '@relayllm/security';
import { asConfigError, ConfigError, loadSettings, readChatTemplateFile, setting } from '@relayllm/app-kit';
import { DEFAULT_SERVER_LIMITS, type ChatTemplateSource } from '@relayllm/relay-core';
import { z } from 'zod';

export { ConfigError } from '@relayllm/app-kit';

/**
 * Every default of the orchestrator, named (README's configuration table).
 * The limits mirror the embedded app's so both deployments answer alike.
 */
export const CONFIG_DEFAULTS = {
  host: '127.0.0.1',
  port: 50051,
  /**
   * The OpenAI-compatible HTTP API and the playground, on the same host;
   * unset: off (0: any free port, printed on the ready line as ` http=<port>`).
   */
  httpPort: undefined,
  natsUrl: 'nats://127.0.0.1:4222',
  /** 'off' keeps the shared state in process memory (single replica only). */
  redisUrl: 'redis://127.0.0.1:6379',
  redisPassword: '',
  redisCommandTimeoutMs: 250,
  /** After a Redis failure, Redis is skipped for this long before one probe. */
  redisCoolDownMs: 2_000,
  slmModel: 'slm',
  llmModel: 'llm',
  /** Caps the window both models see; 0 = the smaller of the two windows the workers describe (the reference pair: 512). */
  contextSize: 0,
  /** A chat template file (.jinja, or a tokenizer_config.json) that replaces the SLM's own; '' = the SLM's. */
  chatTemplate: '',
  maxTokensLimit: 2048,
  /** The token budget of an HTTP request that sets no max_tokens (gRPC requires max_tokens). */
  defaultMaxTokens: 256,
  /** limits.max_turns of a request that names none: the paper's 5. */
  defaultMaxTurns: 5,
  /** The confidence floor of a request that names none (a threshold; 0: none). */
  defaultConfidenceFloor: 0,
  requestTimeoutMs: 120_000,
  /** Generations this orchestrator runs at once (also bounded by the live SLM workers' slots). */
  maxConcurrentGenerations: 256,
  /** Requests waiting for a slot; one more gets RESOURCE_EXHAUSTED at once. */
  maxQueuedRequests: 1_024,
  /** A request waiting longer than this for a slot gets RESOURCE_EXHAUSTED. */
  maxQueueWaitMs: 10_000,
  /** No worker of a role reachable for this long is an outage: waiting and new requests get UNAVAILABLE (NO_SLM_WORKER / NO_LLM_WORKER). */
  noWorkerGraceMs: 2_000,
  /** Streams per generate tried on SLM workers, and LLM relay attempts. */
  maxAttempts: 3,
  /** LLM relay: how long to wait for a worker's first reply. */
  llmRequestTimeoutMs: 30_000,
  /** LLM relay: a request no worker acknowledged within this is lost and reissued (0 = wait the whole request timeout). */
  llmAckTimeoutMs: 2_000,
  /** Deterministic LLM outputs cached in the store for this long. */
  outputCacheTtlMs: 600_000,
  affinityTtlMs: 600_000,
  /**
   * Lease of a running generation, renewed every third of it: when its
   * replica dies, a retry on another replica resumes it this long after.
   */
  generationLeaseMs: 15_000,
  shutdownGraceMs: 5_000,
} as const;

export type ConfigKey = keyof typeof CONFIG_DEFAULTS;

/** The environment variable of each setting (the only ones the orchestrator reads). */
export const CONFIG_ENV: Readonly<Record<ConfigKey, string>> = {
  host: 'RELAYLLM_ORCHESTRATOR_HOST',
  port: 'RELAYLLM_ORCHESTRATOR_PORT',
  httpPort: 'RELAYLLM_ORCHESTRATOR_HTTP_PORT',
  natsUrl: 'RELAYLLM_NATS_URL',
  redisUrl: 'RELAYLLM_REDIS_URL',
  redisPassword: 'RELAYLLM_REDIS_PASSWORD',
  redisCommandTimeoutMs: 'RELAYLLM_ORCHESTRATOR_REDIS_COMMAND_TIMEOUT_MS',
  redisCoolDownMs: 'RELAYLLM_ORCHESTRATOR_REDIS_COOL_DOWN_MS',
  slmModel: 'RELAYLLM_SLM_MODEL',
  llmModel: 'RELAYLLM_LLM_MODEL',
  contextSize: 'RELAYLLM_ORCHESTRATOR_CONTEXT_SIZE',
  chatTemplate: 'RELAYLLM_CHAT_TEMPLATE',
  maxTokensLimit: 'RELAYLLM_ORCHESTRATOR_MAX_TOKENS_LIMIT',
  defaultMaxTokens: 'RELAYLLM_ORCHESTRATOR_DEFAULT_MAX_TOKENS',
  defaultMaxTurns: 'RELAYLLM_ORCHESTRATOR_DEFAULT_MAX_TURNS',
  defaultConfidenceFloor: 'RELAYLLM_ORCHESTRATOR_DEFAULT_CONFIDENCE_FLOOR',
  requestTimeoutMs: 'RELAYLLM_ORCHESTRATOR_REQUEST_TIMEOUT_MS',
  maxConcurrentGenerations: 'RELAYLLM_ORCHESTRATOR_MAX_CONCURRENT',
  maxQueuedRequests: 'RELAYLLM_ORCHESTRATOR_MAX_QUEUED',
  maxQueueWaitMs: 'RELAYLLM_ORCHESTRATOR_MAX_QUEUE_WAIT_MS',
  noWorkerGraceMs: 'RELAYLLM_ORCHESTRATOR_NO_WORKER_GRACE_MS',
  maxAttempts: 'RELAYLLM_ORCHESTRATOR_MAX_ATTEMPTS',
  llmRequestTimeoutMs: 'RELAYLLM_ORCHESTRATOR_LLM_REQUEST_TIMEOUT_MS',
  llmAckTimeoutMs: 'RELAYLLM_ORCHESTRATOR_LLM_ACK_TIMEOUT_MS',
  outputCacheTtlMs: 'RELAYLLM_ORCHESTRATOR_OUTPUT_CACHE_TTL_MS',
  affinityTtlMs: 'RELAYLLM_ORCHESTRATOR_AFFINITY_TTL_MS',
  generationLeaseMs: 'RELAYLLM_ORCHESTRATOR_GENERATION_LEASE_MS',
  shutdownGraceMs: 'RELAYLLM_ORCHESTRATOR_SHUTDOWN_GRACE_MS',
};

/** The command-line flags (they win over the environment). */
export const CONFIG_FLAGS: Readonly<Partial<Record<ConfigKey, string>>> = { chatTemplate: '--chat-template' };

const D = CONFIG_DEFAULTS;
const { integer, text, secret, matching, path } = setting;


const schema = z
  .object({
    host: text(D.host),
    port: integer(0, 65_535, D.port),
    httpPort: setting.optionalPort(),
    natsUrl: matching(/^(nats|tls):\/\/[^\s]+$/, 'a nats:// or tls:// URL', D.natsUrl),
    redisUrl: matching(/^(off|rediss?:\/\/[^\s]+)$/, 'off or a redis:// or rediss:// URL', D.redisUrl),
    redisPassword: secret(D.redisPassword),
    redisCommandTimeoutMs: integer(1, 60_000, D.redisCommandTimeoutMs),
    redisCoolDownMs: integer(1, 600_000, D.redisCoolDownMs),
    slmModel: text(D.slmModel),
    llmModel: text(D.llmModel),
    contextSize: integer(0, 1_048_576, D.contextSize).refine((n) => n !== 1, 'must be 0 (the models\' own windows) or at least 2'),
    chatTemplate: path(D.chatTemplate),
    maxTokensLimit: integer(1, 32_768, D.maxTokensLimit),
    defaultMaxTokens: integer(1, 32_768, D.defaultMaxTokens),
    defaultMaxTurns: integer(1, DEFAULT_SERVER_LIMITS.maxTurnsCeiling, D.defaultMaxTurns),
    defaultConfidenceFloor: setting.decimal(0, 1, D.defaultConfidenceFloor),
    requestTimeoutMs: integer(1, 86_400_000, D.requestTimeoutMs),
    maxConcurrentGenerations: integer(1, 100_000, D.maxConcurrentGenerations),
    maxQueuedRequests: integer(0, 1_000_000, D.maxQueuedRequests),
    maxQueueWaitMs: integer(1, 86_400_000, D.maxQueueWaitMs),
    noWorkerGraceMs: integer(0, 600_000, D.noWorkerGraceMs),
    maxAttempts: integer(1, 10, D.maxAttempts),
    llmRequestTimeoutMs: integer(1, 86_400_000, D.llmRequestTimeoutMs),
    llmAckTimeoutMs: integer(0, 86_400_000, D.llmAckTimeoutMs),
    outputCacheTtlMs: integer(1, 86_400_000, D.outputCacheTtlMs),
    affinityTtlMs: integer(1, 86_400_000, D.affinityTtlMs),
    generationLeaseMs: integer(300, 86_400_000, D.generationLeaseMs),
    shutdownGraceMs: integer(0, 600_000, D.shutdownGraceMs),
  })
  .refine((c) => c.defaultMaxTokens <= c.maxTokensLimit, { message: 'must not exceed the max tokens limit', path: ['defaultMaxTokens'] })
  .refine((c) => c.httpPort === undefined || c.httpPort === 0 || c.httpPort !== c.port, { message: 'must differ from the gRPC port', path: ['httpPort'] });

export type OrchestratorConfig = Readonly<z.output<typeof schema>>;

/**
 * Reads and validates the whole configuration once (overrides > env >
 * CONFIG_DEFAULTS); empty values count as unset. Throws ConfigError naming
 * each offending variable. The only reader of process.env in the app.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<Record<ConfigKey, string>> = {},
): OrchestratorConfig {
  return loadSettings(schema, { env: CONFIG_ENV, flags: CONFIG_FLAGS }, { env, flags: overrides });
}

/** The flags of `argv` (`--chat-template PATH` or `--chat-template=PATH`); any other argument is a ConfigError. */
export function parseFlags(argv: readonly string[]): Partial<Record<ConfigKey, string>> {
  const byFlag = new Map(Object.entries(CONFIG_FLAGS).map(([key, flag]) => [flag as string, key as ConfigKey]));
  const flags: Partial<Record<ConfigKey, string>> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const key = byFlag.get(flag);
    const value = inline ?? argv[i + 1];
    if (key === undefined) throw new ConfigError(`invalid configuration:\n  unknown argument "${argv[i]}" (flags: ${[...byFlag.keys()].join(', ')})`);
    if (value === undefined) throw new ConfigError(`invalid configuration:\n  ${flag} needs a value`);
    if (inline === undefined) i += 1;
    flags[key] = value;
  }
  return flags;
}

/**
 * The operator's chat template (`config.chatTemplate`), read once at start;
 * undefined when none is set. A file that cannot be read or parsed is a
 * ConfigError naming the setting (the orchestrator refuses to start).
 */
export function loadChatTemplate(config: Pick<OrchestratorConfig, 'chatTemplate'>): ChatTemplateSource | undefined {
  if (config.chatTemplate === '') return undefined;
  return asConfigError(() => readChatTemplateFile(config.chatTemplate, `${CONFIG_ENV.chatTemplate} / ${CONFIG_FLAGS.chatTemplate}`));
}

/**
 * Traces (OTEL_*, off unless configured), /metrics
 * (RELAYLLM_METRICS_PORT: none unless set, 0 = any free port, printed on the
 * ready line) and logs (RELAYLLM_LOG_LEVEL, RELAYLLM_LOG_CONTENT).
 */
export function loadObservabilityConfig(env: Readonly<Record<string, string | undefined>> = process.env): ObservabilityConfig {
  return asConfigError(() => observabilityConfigFromEnv(env));
}

/** The public API's TLS / mTLS, API keys and per-key quota; NATS credentials and TLS. */
export interface SecurityConfig {
  api: ApiSecurityConfig;
  nats: NatsSecurityOptions;
  /** TLS of the streams to SLM workers (RELAYLLM_SLM_TLS_CA_FILE...); undefined = plaintext. */
  slm: SlmClientTls | undefined;
}

/**
 * Reads the security settings once (variables: libs/security API_SECURITY_ENV,
 * NATS_SECURITY_ENV and SLM_TLS_ENV). A half-configured setup is a ConfigError
 * naming the variable: the orchestrator refuses to start. Whether a channel
 * may run without them is checkChannelSecurity's (at start-up).
 */
export function loadSecurityConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  natsUrl: string = CONFIG_DEFAULTS.natsUrl,
): SecurityConfig {
  return asConfigError(() => ({ api: apiSecurityFromEnv(env), nats: natsSecurityFromEnv(env, natsUrl), slm: slmClientTlsFromEnv(env) }));
}

/**
 * Refuses NATS without credentials, Redis without a password and SLM streams
 * without mTLS unless plain mode is explicit (RELAYLLM_INSECURE, or
 * RELAYLLM_NATS_INSECURE / _REDIS_INSECURE / _SLM_INSECURE; libs/security):
 * a ConfigError naming the missing setting. Returns the warning line of each
 * channel that runs plain.
 */
export function checkChannelSecurity(
  env: Readonly<Record<string, string | undefined>>,
  config: Pick<OrchestratorConfig, 'redisUrl' | 'redisPassword'>,
  security: Pick<SecurityConfig, 'nats'>,
): string[] {
  return asConfigError(() => {
    const policy = PlainModePolicy.fromEnv(env);
    const redis = { url: config.redisUrl, password: config.redisPassword, passwordEnv: CONFIG_ENV.redisPassword };
    return [natsChannelWarning(security.nats, policy), redisChannelWarning(redis, policy), slmClientChannelWarning(env, policy)].filter(
      (line): line is string => line !== undefined,
    );
  });
}

const warnOnStderr = (line: string): void => void process.stderr.write(`${line}\n`);

/** Everything the orchestrator reads at start-up, from one environment (main.ts passes none: process.env). */
export interface OrchestratorStartup {
  config: OrchestratorConfig;
  security: SecurityConfig;
  observability: ObservabilityConfig;
  /** The operator's chat template, replacing the SLM's own (undefined: the SLM's). */
  chatTemplate: ChatTemplateSource | undefined;
}

/** `warn` is told each plain channel's warning line (default: stderr) before anything connects. */
export function loadOrchestratorStartup(
  env: Readonly<Record<string, string | undefined>> = process.env,
  argv: readonly string[] = process.argv.slice(2),
  warn: (line: string) => void = warnOnStderr,
): OrchestratorStartup {
  const config = loadConfig(env, parseFlags(argv));
  const security = loadSecurityConfig(env, config.natsUrl);
  checkChannelSecurity(env, config, security).forEach(warn);
  return {
    config,
    security,
    observability: loadObservabilityConfig(env),
    chatTemplate: loadChatTemplate(config),
  };
}
