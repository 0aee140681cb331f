import { defaultThreads } from '@relayllm/llama-cpp';
import { randomUUID } from 'crypto';
import { resolve } from 'path';
import type { ServerCredentials } from '@grpc/grpc-js';
import { natsSecurityFromEnv, slmServerCredentialsFromEnv, type NatsSecurityOptions } from '@relayllm/security';
import { z } from 'zod';
import { observabilityConfigFromEnv, type ObservabilityConfig } from '@relayllm/observability';

/** The workspace root (this file is apps/slm-worker/src/app/config.ts). */
export const REPO_ROOT = resolve(__dirname, '../../../..');

/** Every default of the SLM worker, named (the README's table lists them). */
export const SLM_WORKER_DEFAULTS = {
  host: '127.0.0.1',
  port: 50061,
  advertiseAddress: '',
  natsUrl: 'nats://127.0.0.1:4222',
  model: 'slm',
  modelPath: resolve(REPO_ROOT, 'models/reference/slm.gguf'),
  threads: defaultThreads(),
  gpu: 'auto',
  maxSequences: 4,
  flushTokens: 16,
  flushMs: 4,
  streamIdleMs: 120_000,
  maxMessageBytes: 4 * 1024 * 1024,
  heartbeatIntervalMs: 1_000,
  shutdownGraceMs: 5_000,
} as const;

/** The environment variable of each setting (the only ones the worker reads). */
export const SLM_WORKER_ENV = {
  host: 'RELAYLLM_SLM_HOST',
  port: 'RELAYLLM_SLM_PORT',
  advertiseAddress: 'RELAYLLM_SLM_ADVERTISE_ADDRESS',
  natsUrl: 'RELAYLLM_NATS_URL',
  model: 'RELAYLLM_SLM_MODEL',
  modelPath: 'RELAYLLM_SLM_MODEL_PATH',
  threads: 'RELAYLLM_SLM_THREADS',
  gpu: 'RELAYLLM_GPU',
  maxSequences: 'RELAYLLM_SLM_MAX_SEQUENCES',
  flushTokens: 'RELAYLLM_SLM_FLUSH_TOKENS',
  flushMs: 'RELAYLLM_SLM_FLUSH_MS',
  streamIdleMs: 'RELAYLLM_SLM_STREAM_IDLE_MS',
  maxMessageBytes: 'RELAYLLM_SLM_MAX_MESSAGE_BYTES',
  workerId: 'RELAYLLM_WORKER_ID',
  heartbeatIntervalMs: 'RELAYLLM_HEARTBEAT_INTERVAL_MS',
  shutdownGraceMs: 'RELAYLLM_SHUTDOWN_GRACE_MS',
} as const;

type Key = keyof typeof SLM_WORKER_ENV;

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

const D = SLM_WORKER_DEFAULTS;
const schema = z.object({
  host: z.string().trim().min(1).default(D.host),
  port: integer(0, 65_535, D.port),
  advertiseAddress: z
    .string()
    .trim()
    .default(D.advertiseAddress)
    .refine((a) => a === '' || /^[^\s:]+:\d{1,5}$/.test(a), { message: 'must be host:port' }),
  natsUrl: z.string().trim().min(1).default(D.natsUrl),
  model: z.string().trim().min(1).max(64).default(D.model),
  modelPath: z
    .string()
    .optional()
    .transform((p) => (p === undefined || p === '' ? D.modelPath : resolve(p))),
  threads: integer(1, 256, D.threads),
  gpu: z.enum(['auto', 'off']).default(D.gpu),
  maxSequences: integer(1, 64, D.maxSequences),
  flushTokens: integer(1, 1_024, D.flushTokens),
  flushMs: integer(0, 1_000, D.flushMs),
  streamIdleMs: integer(100, 3_600_000, D.streamIdleMs),
  maxMessageBytes: integer(64 * 1024, 64 * 1024 * 1024, D.maxMessageBytes),
  workerId: z
    .string()
    .trim()
    .max(64)
    .optional()
    .transform((id) => (id === undefined || id === '' ? `slm-${randomUUID().slice(0, 8)}` : id)),
  heartbeatIntervalMs: integer(10, 60_000, D.heartbeatIntervalMs),
  shutdownGraceMs: integer(0, 600_000, D.shutdownGraceMs),
});

export type SlmWorkerConfig = z.infer<typeof schema>;

/** Reads the worker's configuration from `env` once (throws one message listing every bad variable). */
export function loadSlmWorkerConfig(env: NodeJS.ProcessEnv): SlmWorkerConfig {
  const raw: Partial<Record<Key, string>> = {};
  for (const [key, name] of Object.entries(SLM_WORKER_ENV) as [Key, string][]) {
    if (env[name] !== undefined) raw[key] = env[name];
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as Key | undefined;
      return `${key === undefined ? 'config' : SLM_WORKER_ENV[key]}: ${issue.message}`;
    });
    throw new Error(`invalid SLM worker configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** The address other processes dial: the configured one, else host:bound port (0.0.0.0 / :: become 127.0.0.1). */
export function advertisedAddress(config: SlmWorkerConfig, boundPort: number): string {
  if (config.advertiseAddress !== '') return config.advertiseAddress;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `${host.includes(':') ? `[${host}]` : host}:${boundPort}`;
}

/**
 * The worker's traces, /metrics and logs: OTEL_* (off unless configured),
 * RELAYLLM_METRICS_PORT (no endpoint unless set; 0 = any free port, printed on
 * the ready line), RELAYLLM_METRICS_HOST, RELAYLLM_LOG_LEVEL, RELAYLLM_LOG_CONTENT.
 */
export function loadSlmWorkerObservabilityConfig(env: NodeJS.ProcessEnv): ObservabilityConfig {
  return observabilityConfigFromEnv(env);
}

/**
 * Issue #7: NATS credentials and TLS (RELAYLLM_NATS_USER / _PASSWORD / _TOKEN,
 * RELAYLLM_NATS_TLS_CA_FILE / _CERT_FILE / _KEY_FILE; libs/security). A
 * half-configured setup throws naming the variable: the worker refuses to start.
 */
export function loadSlmWorkerNatsSecurity(env: NodeJS.ProcessEnv, natsUrl: string): NatsSecurityOptions {
  return natsSecurityFromEnv(env, natsUrl);
}

/**
 * Issue #7: TLS of the gRPC server (RELAYLLM_SLM_TLS_CERT_FILE + _KEY_FILE;
 * RELAYLLM_SLM_TLS_CLIENT_CA_FILE requires client certificates: mTLS).
 * Undefined = plaintext. A half-configured setup throws naming the variable.
 */
export function loadSlmWorkerServerCredentials(env: NodeJS.ProcessEnv): ServerCredentials | undefined {
  return slmServerCredentialsFromEnv(env);
}

/** Everything the worker reads at start-up. The app's only reader of `process.env` (main.ts calls it with no argument). */
export interface SlmWorkerStartup {
  config: SlmWorkerConfig;
  natsAuth: NatsSecurityOptions;
  serverCredentials: ServerCredentials | undefined;
  observability: ObservabilityConfig;
}

export function loadSlmWorkerStartup(env: NodeJS.ProcessEnv = process.env): SlmWorkerStartup {
  const config = loadSlmWorkerConfig(env);
  return {
    config,
    natsAuth: loadSlmWorkerNatsSecurity(env, config.natsUrl),
    serverCredentials: loadSlmWorkerServerCredentials(env),
    observability: loadSlmWorkerObservabilityConfig(env),
  };
}
