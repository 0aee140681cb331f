import { defaultThreads } from '@relayllm/llama-cpp';
import { DEFAULT_SERVER_LIMITS } from '@relayllm/relay-core';
import { observabilityConfigFromEnv, type ObservabilityConfig } from '@relayllm/observability';
import { resolve } from 'path';
import { asConfigError, loadSettings, modelSourceSetting, setting, type ModelSource } from '@relayllm/app-kit';
import { API_SECURITY_ENV, apiSecurityFromEnv, SecurityConfigError, type ApiKeyRing } from '@relayllm/security';
import { join } from 'path';
import { z } from 'zod';

export { ConfigError } from '@relayllm/app-kit';

/** The workspace root (this file is apps/relayllm/src/app/config.ts). */
export const REPO_ROOT = resolve(__dirname, '../../../..');

/**
 * Every default of the app, named (the README's configuration table lists
 * them). `threads`: both engines share one llama.cpp binding and each uses
 * this many threads; half the cores (1 on a 2-core box) keeps the two models
 * plus Node from oversubscribing the CPU (ggml threads spin-wait).
 */
export const CONFIG_DEFAULTS = {
  host: '127.0.0.1',
  port: 50051,
  /** Unset: no HTTP port (the OpenAI-compatible API and the playground are off). */
  httpPort: undefined,
  modelsDir: resolve(REPO_ROOT, 'models/reference'),
  /** Unset: `<modelsDir>/slm.gguf`. */
  slmModel: undefined,
  /** Unset: `<modelsDir>/llm.gguf`. */
  llmModel: undefined,
  /** Unset: the SLM's own template (a GGUF's tokenizer.chat_template), or the reference pair's format. */
  chatTemplate: undefined,
  threads: defaultThreads(),
  sequences: 4,
  gpu: 'auto',
  maxTokensLimit: 2048,
  defaultMaxTokens: 256,
  /** limits.max_turns of a request that names none: the paper's 5. */
  defaultMaxTurns: 5,
  /** The confidence floor of a request that names none (a threshold; 0: none). */
  defaultConfidenceFloor: 0,
  requestTimeoutMs: 120_000,
  shutdownGraceMs: 5_000,
} as const;

export type ConfigKey = keyof typeof CONFIG_DEFAULTS;

/** The environment variable of each setting (the only ones the app reads). */
export const CONFIG_ENV: Readonly<Record<ConfigKey, string>> = {
  host: 'RELAYLLM_HOST',
  port: 'RELAYLLM_PORT',
  httpPort: 'RELAYLLM_HTTP_PORT',
  modelsDir: 'RELAYLLM_MODELS_DIR',
  slmModel: 'RELAYLLM_SLM_MODEL',
  llmModel: 'RELAYLLM_LLM_MODEL',
  chatTemplate: 'RELAYLLM_CHAT_TEMPLATE',
  threads: 'RELAYLLM_THREADS',
  sequences: 'RELAYLLM_SEQUENCES',
  gpu: 'RELAYLLM_GPU',
  maxTokensLimit: 'RELAYLLM_MAX_TOKENS_LIMIT',
  defaultMaxTokens: 'RELAYLLM_DEFAULT_MAX_TOKENS',
  defaultMaxTurns: 'RELAYLLM_DEFAULT_MAX_TURNS',
  defaultConfidenceFloor: 'RELAYLLM_DEFAULT_CONFIDENCE_FLOOR',
  requestTimeoutMs: 'RELAYLLM_REQUEST_TIMEOUT_MS',
  shutdownGraceMs: 'RELAYLLM_SHUTDOWN_GRACE_MS',
};

/** Command-line flags that set a setting (named in error messages). */
const CONFIG_FLAGS: Partial<Record<ConfigKey, string>> = {
  host: '--host',
  port: '--port',
  httpPort: '--http-port',
  modelsDir: '--models',
  slmModel: '--slm',
  llmModel: '--llm',
  chatTemplate: '--chat-template',
};

const D = CONFIG_DEFAULTS;
const { integer, decimal, text, choice, path } = setting;

const schema = z
  .object({
    host: text(D.host),
    port: integer(0, 65_535, D.port),
    httpPort: setting.optionalPort(),
    modelsDir: path(D.modelsDir),
    slmModel: modelSourceSetting(),
    llmModel: modelSourceSetting(),
    chatTemplate: z
      .string()
      .trim()
      .optional()
      .transform((raw) => (raw === undefined || raw === '' ? undefined : resolve(raw))),
    threads: integer(1, 256, D.threads),
    sequences: integer(1, 64, D.sequences),
    gpu: choice(['auto', 'off'] as const, D.gpu),
    maxTokensLimit: integer(1, 32_768, D.maxTokensLimit),
    defaultMaxTokens: integer(1, 32_768, D.defaultMaxTokens),
    defaultMaxTurns: integer(1, DEFAULT_SERVER_LIMITS.maxTurnsCeiling, D.defaultMaxTurns),
    defaultConfidenceFloor: decimal(0, 1, D.defaultConfidenceFloor),
    requestTimeoutMs: integer(1, 86_400_000, D.requestTimeoutMs),
    shutdownGraceMs: integer(0, 600_000, D.shutdownGraceMs),
  })
  .refine((c) => c.defaultMaxTokens <= c.maxTokensLimit, {
    message: 'must not exceed the max tokens limit',
    path: ['defaultMaxTokens'],
  });

export type RelayllmConfig = Readonly<z.output<typeof schema>>;

/** The pair this configuration serves: --slm / --llm, else the two files of the models directory. */
export function modelSources(config: Pick<RelayllmConfig, 'modelsDir'> & Partial<Pick<RelayllmConfig, 'slmModel' | 'llmModel'>>): { slm: ModelSource; llm: ModelSource } {
  return {
    slm: config.slmModel ?? { kind: 'gguf', path: join(config.modelsDir, 'slm.gguf') },
    llm: config.llmModel ?? { kind: 'gguf', path: join(config.modelsDir, 'llm.gguf') },
  };
}

export interface ConfigSources {
  /** Values from command-line flags (win over the environment). */
  flags?: Partial<Record<ConfigKey, string>>;
  /** Defaults to process.env: this module is the only reader of the environment. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Reads and validates the whole configuration once (flags > RELAYLLM_* env >
 * CONFIG_DEFAULTS). Empty values count as unset. Throws ConfigError.
 */
export function loadConfig(sources: ConfigSources = {}): RelayllmConfig {
  return loadSettings(schema, { env: CONFIG_ENV, flags: CONFIG_FLAGS }, { env: sources.env ?? process.env, flags: sources.flags });
}

/**
 * Traces, metrics and logs: the standard OTEL_* variables plus
 * RELAYLLM_METRICS_PORT / RELAYLLM_METRICS_HOST / RELAYLLM_LOG_LEVEL /
 * RELAYLLM_LOG_CONTENT (libs/observability's README). Tracing is off unless
 * configured. Throws ConfigError.
 */
export function loadObservabilityConfig(env: Readonly<Record<string, string | undefined>> = process.env): ObservabilityConfig {
  return asConfigError(() => observabilityConfigFromEnv(env));
}

/** Who may call the embedded server's APIs, and how many LLM tokens each key may use. */
export interface EmbeddedApiSecurity {
  /** Undefined: no key is asked for (the default; one shared tenant). */
  apiKeys?: ApiKeyRing;
  /** LLM tokens per key per minute; 0: no quota. */
  quotaLlmTokensPerMinute: number;
}

/**
 * The API keys (RELAYLLM_API_KEYS_FILE or RELAYLLM_API_KEYS, `<id>:<secret>`
 * entries) and the per-key quota (RELAYLLM_QUOTA_LLM_TOKENS_PER_MINUTE), read
 * as the orchestrator reads them (libs/security): the same keys open the gRPC
 * and the HTTP port. TLS settings are refused: the embedded server serves
 * plaintext (put a TLS proxy in front, or run the orchestrator). Throws ConfigError.
 */
export function loadApiSecurity(env: Readonly<Record<string, string | undefined>> = process.env): EmbeddedApiSecurity {
  return asConfigError(() => {
    const security = apiSecurityFromEnv(env);
    if (security.tls !== undefined) {
      throw new SecurityConfigError(`${API_SECURITY_ENV.tlsCertFile}: the embedded server serves no TLS; use a TLS-terminating proxy or the orchestrator`);
    }
    return { apiKeys: security.apiKeys, quotaLlmTokensPerMinute: security.quotaLlmTokensPerMinute };
  });
}
