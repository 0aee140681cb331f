import { defaultThreads } from '@relayllm/llama-cpp';
import { observabilityConfigFromEnv, type ObservabilityConfig } from '@relayllm/observability';
import { resolve } from 'path';
import { natsChannelWarning, natsSecurityFromEnv, PlainModePolicy, type NatsSecurityOptions } from '@relayllm/security';
import { asConfigError, loadSettings, setting, workerSettingEnv, workerSettingFields } from '@relayllm/app-kit';
import { z } from 'zod';

/** The workspace root (this file is apps/llm-worker/src/app/config.ts). */
export const REPO_ROOT = resolve(__dirname, '../../../..');

/** Every default of the LLM worker, named (the README's table lists them). */
export const LLM_WORKER_DEFAULTS = {
  natsUrl: 'nats://127.0.0.1:4222',
  model: 'llm',
  engine: 'llama' as 'llama' | 'openai',
  modelPath: resolve(REPO_ROOT, 'models/reference/llm.gguf'),
  openaiBaseUrl: '',
  openaiModel: '',
  threads: defaultThreads(),
  gpu: 'auto' as const,
  maxSequences: 4,
  heartbeatIntervalMs: 1_000,
  shutdownGraceMs: 5_000,
} as const;

/** The environment variable of each setting (the only ones the worker reads). */
export const LLM_WORKER_ENV = {
  ...workerSettingEnv('llm'),
  engine: 'RELAYLLM_LLM_ENGINE',
  openaiBaseUrl: 'RELAYLLM_LLM_OPENAI_BASE_URL',
  openaiModel: 'RELAYLLM_LLM_OPENAI_MODEL',
} as const;

const D = LLM_WORKER_DEFAULTS;
const schema = z
  .object({
    ...workerSettingFields('llm', D),
    engine: setting.choice(['llama', 'openai'] as const, D.engine),
    openaiBaseUrl: setting.text(D.openaiBaseUrl),
    // The server's model name ('' = the worker's model name).
    openaiModel: setting.text(D.openaiModel),
  })
  .refine((c) => c.engine !== 'openai' || c.modelSource !== undefined || /^https?:\/\//.test(c.openaiBaseUrl), {
    message: `${LLM_WORKER_ENV.openaiBaseUrl} must be an http(s) URL when ${LLM_WORKER_ENV.engine}=openai`,
    path: ['openaiBaseUrl'],
  });

export type LlmWorkerConfig = z.output<typeof schema>;

/** Reads the worker's configuration from `env` once (throws a ConfigError listing every bad variable). */
export function loadLlmWorkerConfig(env: NodeJS.ProcessEnv): LlmWorkerConfig {
  return loadSettings(schema, { env: LLM_WORKER_ENV }, { env }, 'LLM worker configuration');
}

/**
 * The worker's traces, /metrics and logs: OTEL_* (off unless configured),
 * RELAYLLM_METRICS_PORT (no endpoint unless set; 0 = any free port, printed on
 * the ready line), RELAYLLM_METRICS_HOST, RELAYLLM_LOG_LEVEL, RELAYLLM_LOG_CONTENT.
 */
export function loadLlmWorkerObservabilityConfig(env: NodeJS.ProcessEnv): ObservabilityConfig {
  return asConfigError(() => observabilityConfigFromEnv(env));
}

/**
 * NATS credentials and TLS (RELAYLLM_NATS_USER / _PASSWORD / _TOKEN,
 * RELAYLLM_NATS_TLS_CA_FILE / _CERT_FILE / _KEY_FILE; libs/security). A
 * half-configured setup throws naming the variable: the worker refuses to start.
 */
export function loadLlmWorkerNatsSecurity(env: NodeJS.ProcessEnv, natsUrl: string): NatsSecurityOptions {
  return asConfigError(() => natsSecurityFromEnv(env, natsUrl));
}

/** Everything the worker reads at start-up. The app's only reader of `process.env` (main.ts calls it with no argument). */
export interface LlmWorkerStartup {
  config: LlmWorkerConfig;
  natsAuth: NatsSecurityOptions;
  observability: ObservabilityConfig;
}

/**
 * Refuses NATS without credentials unless plain mode is explicit
 * (RELAYLLM_INSECURE or RELAYLLM_NATS_INSECURE; libs/security): a ConfigError
 * naming the missing setting. Returns the warning line when NATS runs plain.
 */
export function checkLlmWorkerChannelSecurity(env: NodeJS.ProcessEnv, natsAuth: NatsSecurityOptions): string[] {
  return asConfigError(() => {
    const warning = natsChannelWarning(natsAuth, PlainModePolicy.fromEnv(env));
    return warning === undefined ? [] : [warning];
  });
}

/** `warn` is told the plain-mode warning line (default: stderr) before anything connects or loads. */
export function loadLlmWorkerStartup(
  env: NodeJS.ProcessEnv = process.env,
  warn: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): LlmWorkerStartup {
  const config = loadLlmWorkerConfig(env);
  const natsAuth = loadLlmWorkerNatsSecurity(env, config.natsUrl);
  checkLlmWorkerChannelSecurity(env, natsAuth).forEach(warn);
  return { config, natsAuth, observability: loadLlmWorkerObservabilityConfig(env) };
}
