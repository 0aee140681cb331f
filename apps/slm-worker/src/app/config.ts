import { defaultThreads } from '@relayllm/llama-cpp';
import { resolve } from 'path';
import type { ServerCredentials } from '@grpc/grpc-js';
import {
  natsChannelWarning,
  natsSecurityFromEnv,
  PlainModePolicy,
  slmServerChannelWarning,
  slmServerCredentialsFromEnv,
  type NatsSecurityOptions,
} from '@relayllm/security';
import { asConfigError, loadSettings, setting, workerSettingEnv, workerSettingFields } from '@relayllm/app-kit';
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
  gpu: 'auto' as const,
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
  ...workerSettingEnv('slm'),
  host: 'RELAYLLM_SLM_HOST',
  port: 'RELAYLLM_SLM_PORT',
  advertiseAddress: 'RELAYLLM_SLM_ADVERTISE_ADDRESS',
  flushTokens: 'RELAYLLM_SLM_FLUSH_TOKENS',
  flushMs: 'RELAYLLM_SLM_FLUSH_MS',
  streamIdleMs: 'RELAYLLM_SLM_STREAM_IDLE_MS',
  maxMessageBytes: 'RELAYLLM_SLM_MAX_MESSAGE_BYTES',
} as const;

const D = SLM_WORKER_DEFAULTS;
const { integer, text } = setting;
const schema = z.object({
  ...workerSettingFields('slm', D),
  host: text(D.host),
  port: integer(0, 65_535, D.port),
  advertiseAddress: setting.matching(/^[^\s:]+:\d{1,5}$/, 'host:port', D.advertiseAddress),
  flushTokens: integer(1, 1_024, D.flushTokens),
  flushMs: integer(0, 1_000, D.flushMs),
  streamIdleMs: integer(100, 3_600_000, D.streamIdleMs),
  maxMessageBytes: integer(64 * 1024, 64 * 1024 * 1024, D.maxMessageBytes),
});

export type SlmWorkerConfig = z.output<typeof schema>;

/** Reads the worker's configuration from `env` once (throws a ConfigError listing every bad variable). */
export function loadSlmWorkerConfig(env: NodeJS.ProcessEnv): SlmWorkerConfig {
  return loadSettings(schema, { env: SLM_WORKER_ENV }, { env }, 'SLM worker configuration');
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
  return asConfigError(() => observabilityConfigFromEnv(env));
}

/**
 * NATS credentials and TLS (RELAYLLM_NATS_USER / _PASSWORD / _TOKEN,
 * RELAYLLM_NATS_TLS_CA_FILE / _CERT_FILE / _KEY_FILE; libs/security). A
 * half-configured setup throws naming the variable: the worker refuses to start.
 */
export function loadSlmWorkerNatsSecurity(env: NodeJS.ProcessEnv, natsUrl: string): NatsSecurityOptions {
  return asConfigError(() => natsSecurityFromEnv(env, natsUrl));
}

/**
 * TLS of the gRPC server (RELAYLLM_SLM_TLS_CERT_FILE + _KEY_FILE;
 * RELAYLLM_SLM_TLS_CLIENT_CA_FILE requires client certificates: mTLS).
 * Undefined = plaintext. A half-configured setup throws naming the variable.
 */
export function loadSlmWorkerServerCredentials(env: NodeJS.ProcessEnv): ServerCredentials | undefined {
  return asConfigError(() => slmServerCredentialsFromEnv(env));
}

/** Everything the worker reads at start-up. The app's only reader of `process.env` (main.ts calls it with no argument). */
export interface SlmWorkerStartup {
  config: SlmWorkerConfig;
  natsAuth: NatsSecurityOptions;
  serverCredentials: ServerCredentials | undefined;
  observability: ObservabilityConfig;
}

/**
 * Refuses NATS without credentials and a gRPC server without mTLS unless
 * plain mode is explicit (RELAYLLM_INSECURE, RELAYLLM_NATS_INSECURE,
 * RELAYLLM_SLM_INSECURE; libs/security): a ConfigError naming the missing
 * setting. Returns the warning line of each channel that runs plain.
 */
export function checkSlmWorkerChannelSecurity(env: NodeJS.ProcessEnv, natsAuth: NatsSecurityOptions): string[] {
  return asConfigError(() => {
    const policy = PlainModePolicy.fromEnv(env);
    return [natsChannelWarning(natsAuth, policy), slmServerChannelWarning(env, policy)].filter((line): line is string => line !== undefined);
  });
}

/** `warn` is told each plain channel's warning line (default: stderr) before anything connects or loads. */
export function loadSlmWorkerStartup(
  env: NodeJS.ProcessEnv = process.env,
  warn: (line: string) => void = (line) => void process.stderr.write(`${line}\n`),
): SlmWorkerStartup {
  const config = loadSlmWorkerConfig(env);
  const natsAuth = loadSlmWorkerNatsSecurity(env, config.natsUrl);
  const serverCredentials = loadSlmWorkerServerCredentials(env);
  checkSlmWorkerChannelSecurity(env, natsAuth).forEach(warn);
  return { config, natsAuth, serverCredentials, observability: loadSlmWorkerObservabilityConfig(env) };
}
