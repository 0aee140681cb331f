/**
 * The settings of `npm run cluster` (scripts/cluster.ts), read and validated
 * once through the config kit (libs/app-kit loadSettings): the only reader of
 * the environment in the script. An invalid value is a ConfigError naming the
 * variable; the script then exits 2 before it starts anything.
 */
import { loadSettings, setting } from '@relayllm/app-kit';
import { INSECURE_ENV, PlainModePolicy } from '@relayllm/security';
import { z } from 'zod';

/** The /metrics ports are the base and the next five (orchestrator, 3 LLM workers, 2 SLM workers). */
const METRICS_PORTS = 6;

export const CLUSTER_DEFAULTS = {
  /** 0: any free port (printed on the ready line), as the orchestrator reads this same variable. */
  orchestratorPort: 50051,
  natsPort: 4222,
  redisPort: 6379,
  /** llama.cpp threads per worker: several model processes share few cores. */
  threads: 1,
  /** Unset: no /metrics. */
  metricsPortBase: undefined,
  insecure: false,
} as const;

export type ClusterConfigKey = keyof typeof CLUSTER_DEFAULTS;

/** The environment variable of each setting (the only ones the script reads; OTEL_* pass through to the apps). */
export const CLUSTER_ENV: Readonly<Record<ClusterConfigKey, string>> = {
  orchestratorPort: 'RELAYLLM_ORCHESTRATOR_PORT',
  natsPort: 'RELAYLLM_CLUSTER_NATS_PORT',
  redisPort: 'RELAYLLM_CLUSTER_REDIS_PORT',
  threads: 'RELAYLLM_CLUSTER_THREADS',
  metricsPortBase: 'RELAYLLM_CLUSTER_METRICS_PORT',
  insecure: INSECURE_ENV.all,
};

const D = CLUSTER_DEFAULTS;
const { integer, optionalPort } = setting;

/** RELAYLLM_INSECURE, parsed by the apps' own rule (libs/security PlainModePolicy: true/1/yes/on, false/0/no/off). */
const insecureFlag = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    try {
      return PlainModePolicy.fromEnv({ [INSECURE_ENV.all]: raw }).allows('nats');
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be true or false, got "${raw ?? ''}"` });
      return z.NEVER;
    }
  });

const schema = z.object({
  orchestratorPort: integer(0, 65_535, D.orchestratorPort),
  natsPort: integer(1, 65_535, D.natsPort),
  redisPort: integer(1, 65_535, D.redisPort),
  threads: integer(1, 256, D.threads),
  // A value set must leave room for all six ports; 0 is refused (each app needs its own fixed port).
  metricsPortBase: optionalPort(1, 65_536 - METRICS_PORTS),
  insecure: insecureFlag,
});

export type ClusterConfig = Readonly<z.output<typeof schema>>;

/**
 * Reads and validates the script's whole configuration once (env >
 * CLUSTER_DEFAULTS; empty values count as unset). Throws ConfigError naming
 * each offending variable.
 */
export function loadClusterConfig(env: Readonly<Record<string, string | undefined>> = process.env): ClusterConfig {
  return loadSettings(schema, { env: CLUSTER_ENV }, { env }, 'npm run cluster configuration');
}
