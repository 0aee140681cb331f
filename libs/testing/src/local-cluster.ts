import { resolve } from 'path';
import { startAppProcess, type AppProcessHandle, type AppProcessOptions } from './app-process';
import { referenceModelDir } from './model-dir';

/**
 * The security environment of each kind of process: NATS user, Redis
 * password, SLM TLS files (libs/security generateLocalSecrets().env, with
 * NATS and Redis started on its configs).
 */
export type LocalClusterSecurity = Readonly<Record<'orchestrator' | 'slm-worker' | 'llm-worker', Readonly<Record<string, string>>>>;

/** What the processes get without `security`: plain mode, explicitly (they log its warning). */
export const PLAIN_MODE_ENV: Readonly<Record<string, string>> = { RELAYLLM_INSECURE: 'true' };

function securityEnv(security: LocalClusterSecurity | undefined, role: keyof LocalClusterSecurity): Readonly<Record<string, string>> {
  return security === undefined ? PLAIN_MODE_ENV : security[role];
}

/**
 * One local deployment of the distributed relay, each part its own Node
 * process: LLM workers (NATS), SLM workers (gRPC), then the orchestrator
 * (public gRPC API). NATS and Redis must already run (`npm run cluster`
 * starts them; tests start private ones). Used by `scripts/cluster.ts` and
 * the end-to-end tests, so both run exactly the same thing.
 */
export interface LocalClusterOptions {
  natsUrl: string;
  /** Credentials and TLS of every process; unset: plain NATS, Redis and SLM streams (PLAIN_MODE_ENV). */
  security?: LocalClusterSecurity;
  /** `off`: the orchestrator keeps its state in memory (as with Redis down, minus the bypass). */
  redisUrl: string;
  slmWorkers?: number;
  llmWorkers?: number;
  /** Default 0 (a free port, read from the ready line). */
  orchestratorPort?: number;
  /** Directory with slm.gguf / llm.gguf. Default models/reference. */
  modelsDir?: string;
  /** llama.cpp threads per worker (default 1: several model processes share few cores). */
  threads?: number;
  slmSequences?: number;
  llmSequences?: number;
  /** Extra environment for every process (e.g. orchestrator limits). */
  env?: Readonly<Record<string, string>>;
  /** Extra environment for the orchestrator only. */
  orchestratorEnv?: Readonly<Record<string, string>>;
  /** Per process (model load). Default 120 s. */
  startTimeoutMs?: number;
  /** Told about each process once it is ready. */
  onReady?: (process: AppProcessHandle) => void;
  /**
   * /metrics ports: the orchestrator on this port, then the LLM
   * workers, then the SLM workers on the next ones. Default: none (or whatever
   * RELAYLLM_METRICS_PORT in `env` says).
   */
  metricsPortBase?: number;
}

export interface LocalClusterHandle {
  /** host:port of the orchestrator's public gRPC API. */
  readonly address: string;
  readonly orchestrator: AppProcessHandle;
  readonly slmWorkers: readonly AppProcessHandle[];
  readonly llmWorkers: readonly AppProcessHandle[];
  /** Every process, workers first. */
  all(): AppProcessHandle[];
  /** Stops the orchestrator, then the workers (SIGTERM, SIGKILL after a grace). Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const SCRIPTS = {
  orchestrator: 'apps/orchestrator/bin/orchestrator.cjs',
  slm: 'apps/slm-worker/bin/slm-worker.cjs',
  llm: 'apps/llm-worker/bin/llm-worker.cjs',
} as const;

export const READY_LINES = {
  orchestrator: /^orchestrator ready address=(\S+)/,
  slm: /^slm-worker ready id=(\S+)/,
  llm: /^llm-worker ready id=(\S+)/,
} as const;

/** One more orchestrator process (e.g. a second replica on the same NATS and Redis). */
export function startOrchestratorProcess(options: {
  natsUrl: string;
  redisUrl: string;
  name?: string;
  port?: number;
  env?: Readonly<Record<string, string>>;
  startTimeoutMs?: number;
  /** As LocalClusterOptions.security (the orchestrator's part is used). */
  security?: LocalClusterSecurity;
}): Promise<AppProcessHandle> {
  return startAppProcess({
    name: options.name ?? 'orchestrator',
    script: SCRIPTS.orchestrator,
    readyLine: READY_LINES.orchestrator,
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
    env: {
      ...securityEnv(options.security, 'orchestrator'),
      RELAYLLM_NATS_URL: options.natsUrl,
      RELAYLLM_REDIS_URL: options.redisUrl,
      RELAYLLM_ORCHESTRATOR_PORT: String(options.port ?? 0),
      ...options.env,
    },
  });
}

export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalClusterHandle> {
  const timeout = options.startTimeoutMs ?? 120_000;
  const common = { RELAYLLM_NATS_URL: options.natsUrl, ...options.env };
  const started: AppProcessHandle[] = [];
  const track = async (start: Promise<AppProcessHandle>): Promise<AppProcessHandle> => {
    const handle = await start;
    started.push(handle);
    options.onReady?.(handle);
    return handle;
  };
  const stopAll = async (graceMs?: number): Promise<void> => {
    // Orchestrator first (it drains its calls), then the workers together.
    const orchestrator = started.filter((p) => p.name === 'orchestrator');
    await Promise.all(orchestrator.map((p) => p.stop(graceMs)));
    await Promise.all(started.filter((p) => p.name !== 'orchestrator').map((p) => p.stop(graceMs)));
  };
  try {
    const llm = Array.from({ length: options.llmWorkers ?? 3 }, (_, i) => track(startAppProcess(workerProcess('llm', i, options, common))));
    const slm = Array.from({ length: options.slmWorkers ?? 2 }, (_, i) => track(startAppProcess(workerProcess('slm', i, options, common))));
    // allSettled: a failed start must not leave the others running unseen.
    const workers = await Promise.allSettled([...llm, ...slm]);
    const failed = workers.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const orchestrator = await track(
      startOrchestratorProcess({
        natsUrl: options.natsUrl,
        redisUrl: options.redisUrl,
        port: options.orchestratorPort,
        startTimeoutMs: timeout,
        security: options.security,
        // The heap cap every deployment uses (deploy/docker/Dockerfile; bench:scale measures it).
        env: { ...common, ...metricsPortEnv(options, 0), NODE_OPTIONS: orchestratorNodeOptions(), ...options.orchestratorEnv },
      }),
    );
    const fulfilled = (name: string) => started.filter((p) => p.name.startsWith(name));
    let stopping: Promise<void> | undefined;
    return {
      address: orchestrator.ready[1],
      orchestrator,
      slmWorkers: fulfilled('slm-worker-'),
      llmWorkers: fulfilled('llm-worker-'),
      all: () => [...started],
      stop: (graceMs) => (stopping ??= stopAll(graceMs)),
    };
  } catch (error) {
    await stopAll(2_000);
    throw error;
  }
}

/** /metrics on metricsPortBase + offset: the orchestrator 0, then the LLM workers, then the SLM workers. */
function metricsPortEnv(options: LocalClusterOptions, offset: number): Record<string, string> {
  return options.metricsPortBase === undefined ? {} : { RELAYLLM_METRICS_PORT: String(options.metricsPortBase + offset) };
}

/** The process of worker `index` (0-based) of a role, on the cluster's NATS with the reference model of that role. */
function workerProcess(role: 'llm' | 'slm', index: number, options: LocalClusterOptions, common: Record<string, string | undefined>): AppProcessOptions {
  const ROLE = role.toUpperCase();
  const modelsDir = options.modelsDir ?? referenceModelDir();
  const metricsOffset = role === 'llm' ? 1 + index : 1 + (options.llmWorkers ?? 3) + index;
  const sequences = (role === 'llm' ? options.llmSequences : options.slmSequences) ?? 4;
  return {
    name: `${role}-worker-${index + 1}`,
    script: SCRIPTS[role],
    readyLine: READY_LINES[role],
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
    env: {
      ...securityEnv(options.security, `${role}-worker`),
      ...common,
      RELAYLLM_WORKER_ID: `${role}-${index + 1}`,
      ...metricsPortEnv(options, metricsOffset),
      // SLM workers serve gRPC: a free port each, read from the ready line.
      ...(role === 'slm' ? { RELAYLLM_SLM_PORT: '0' } : {}),
      [`RELAYLLM_${ROLE}_MODEL_PATH`]: resolve(modelsDir, `${role}.gguf`),
      [`RELAYLLM_${ROLE}_THREADS`]: String(options.threads ?? 1),
      [`RELAYLLM_${ROLE}_MAX_SEQUENCES`]: String(sequences),
    },
  };
}

/** The orchestrator's heap cap, added to whatever NODE_OPTIONS this process passes on. */
export const ORCHESTRATOR_HEAP_CAP = '--max-old-space-size=192';

function orchestratorNodeOptions(): string {
  // Inherited options (e.g. Jest's --experimental-vm-modules) stay; the cap is added once.
  const inherited = process.env['NODE_OPTIONS'] ?? '';
  return inherited.includes('--max-old-space-size') ? inherited : `${inherited} ${ORCHESTRATOR_HEAP_CAP}`.trim();
}
