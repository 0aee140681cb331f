import { defaultThreads } from '@relayllm/llama-cpp';
import { observabilityConfigFromEnv, type ObservabilityConfig } from '@relayllm/observability';
import { randomUUID } from 'crypto';
import { resolve } from 'path';
import { natsSecurityFromEnv, type NatsSecurityOptions } from '@relayllm/security';
import { z } from 'zod';

/** The workspace root (this file is apps/llm-worker/src/app/config.ts). */
export const REPO_ROOT = resolve(__dirname, '../../../..');

/** Every default of the LLM worker, named (the README's table lists them). */
export const LLM_WORKER_DEFAULTS = {
  natsUrl: 'nats://127.0.0.1:4222',
  model: 'llm',
  engine: 'llama',
  modelPath: resolve(REPO_ROOT, 'models/reference/llm.gguf'),
  openaiBaseUrl: '',
  openaiModel: '',
  threads: defaultThreads(),
  gpu: 'auto',
  maxSequences: 4,
  heartbeatIntervalMs: 1_000,
  shutdownGraceMs: 5_000,
} as const;

/** The environment variable of each setting (the only ones the worker reads). */
export const LLM_WORKER_ENV = {
  natsUrl: 'RELAYLLM_NATS_URL',
  model: 'RELAYLLM_LLM_MODEL',
  engine: 'RELAYLLM_LLM_ENGINE',
  modelPath: 'RELAYLLM_LLM_MODEL_PATH',
  openaiBaseUrl: 'RELAYLLM_LLM_OPENAI_BASE_URL',
  openaiModel: 'RELAYLLM_LLM_OPENAI_MODEL',
  threads: 'RELAYLLM_LLM_THREADS',
  gpu: 'RELAYLLM_GPU',
  maxSequences: 'RELAYLLM_LLM_MAX_SEQUENCES',
  workerId: 'RELAYLLM_WORKER_ID',
  heartbeatIntervalMs: 'RELAYLLM_HEARTBEAT_INTERVAL_MS',
  shutdownGraceMs: 'RELAYLLM_SHUTDOWN_GRACE_MS',
} as const;

type Key = keyof typeof LLM_WORKER_ENV;

function integer(min: number, max: number, fallback: number) {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return fallback;
      const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer in [${min}, ${max}], got "${raw}"` });
        return z.NEVER;
      }
      return value;
    });
}

const D = LLM_WORKER_DEFAULTS;
const schema = z
  .object({
    natsUrl: z.string().trim().min(1).default(D.natsUrl),
    model: z.string().trim().min(1).max(64).default(D.model),
    engine: z.enum(['llama', 'openai']).default(D.engine),
    modelPath: z
      .string()
      .optional()
      .transform((p) => (p === undefined || p === '' ? D.modelPath : resolve(p))),
    openaiBaseUrl: z.string().trim().default(D.openaiBaseUrl),
    // The server's model name ('' = the worker's model name).
    openaiModel: z.string().trim().default(D.openaiModel),
    threads: integer(1, 256, D.threads),
    gpu: z.enum(['auto', 'off']).default(D.gpu),
    maxSequences: integer(1, 64, D.maxSequences),
    workerId: z
      .string()
      .trim()
      .max(64)
      .optional()
      .transform((id) => (id === undefined || id === '' ? `llm-${randomUUID().slice(0, 8)}` : id)),
    heartbeatIntervalMs: integer(10, 60_000, D.heartbeatIntervalMs),
    shutdownGraceMs: integer(0, 600_000, D.shutdownGraceMs),
  })
  .refine((c) => c.engine !== 'openai' || /^https?:\/\//.test(c.openaiBaseUrl), {
    message: `${LLM_WORKER_ENV.openaiBaseUrl} must be an http(s) URL when ${LLM_WORKER_ENV.engine}=openai`,
    path: ['openaiBaseUrl'],
  });

export type LlmWorkerConfig = z.infer<typeof schema>;

/** Reads the worker's configuration from `env` once (throws one message listing every bad variable). */
export function loadLlmWorkerConfig(env: NodeJS.ProcessEnv): LlmWorkerConfig {
  const raw: Partial<Record<Key, string>> = {};
  for (const [key, name] of Object.entries(LLM_WORKER_ENV) as [Key, string][]) {
    if (env[name] !== undefined) raw[key] = env[name];
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as Key | undefined;
      return `${key === undefined ? 'config' : LLM_WORKER_ENV[key]}: ${issue.message}`;
    });
    throw new Error(`invalid LLM worker configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/**
 * The worker's traces, /metrics and logs: OTEL_* (off unless configured),
 * RELAYLLM_METRICS_PORT (no endpoint unless set; 0 = any free port, printed on
 * the ready line), RELAYLLM_METRICS_HOST, RELAYLLM_LOG_LEVEL, RELAYLLM_LOG_CONTENT.
 */
export function loadLlmWorkerObservabilityConfig(env: NodeJS.ProcessEnv): ObservabilityConfig {
  return observabilityConfigFromEnv(env);
}

/**
 * Issue #7: NATS credentials and TLS (RELAYLLM_NATS_USER / _PASSWORD / _TOKEN,
 * RELAYLLM_NATS_TLS_CA_FILE / _CERT_FILE / _KEY_FILE; libs/security). A
 * half-configured setup throws naming the variable: the worker refuses to start.
 */
export function loadLlmWorkerNatsSecurity(env: NodeJS.ProcessEnv, natsUrl: string): NatsSecurityOptions {
  return natsSecurityFromEnv(env, natsUrl);
}

/** Everything the worker reads at start-up. The app's only reader of `process.env` (main.ts calls it with no argument). */
export interface LlmWorkerStartup {
  config: LlmWorkerConfig;
  natsAuth: NatsSecurityOptions;
  observability: ObservabilityConfig;
}

export function loadLlmWorkerStartup(env: NodeJS.ProcessEnv = process.env): LlmWorkerStartup {
  const config = loadLlmWorkerConfig(env);
  return { config, natsAuth: loadLlmWorkerNatsSecurity(env, config.natsUrl), observability: loadLlmWorkerObservabilityConfig(env) };
}
