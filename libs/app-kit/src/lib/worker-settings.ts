import type { EngineSpec } from '@relayllm/engines';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { modelSourceSetting, type ModelSource } from './model-source';
import { setting } from './settings';

/** The settings both worker apps have, with their defaults (the model file differs per role). */
export interface WorkerSettingDefaults {
  natsUrl: string;
  model: string;
  modelPath: string;
  threads: number;
  gpu: 'auto' | 'off';
  maxSequences: number;
  heartbeatIntervalMs: number;
  shutdownGraceMs: number;
}

export type WorkerRole = 'slm' | 'llm';

/** The environment variables of the settings both workers have; the model's are per role (RELAYLLM_SLM_* / RELAYLLM_LLM_*). */
export function workerSettingEnv(role: WorkerRole) {
  const ROLE = role.toUpperCase();
  return {
    natsUrl: 'RELAYLLM_NATS_URL',
    model: `RELAYLLM_${ROLE}_MODEL`,
    modelPath: `RELAYLLM_${ROLE}_MODEL_PATH`,
    modelSource: `RELAYLLM_${ROLE}_MODEL_SOURCE`,
    contextLength: `RELAYLLM_${ROLE}_CONTEXT_LENGTH`,
    threads: `RELAYLLM_${ROLE}_THREADS`,
    gpu: 'RELAYLLM_GPU',
    maxSequences: `RELAYLLM_${ROLE}_MAX_SEQUENCES`,
    workerId: 'RELAYLLM_WORKER_ID',
    heartbeatIntervalMs: 'RELAYLLM_HEARTBEAT_INTERVAL_MS',
    shutdownGraceMs: 'RELAYLLM_SHUTDOWN_GRACE_MS',
  } as const;
}

/** The schema fields of the settings both workers have (spread into each worker's z.object). */
export function workerSettingFields(role: WorkerRole, defaults: WorkerSettingDefaults) {
  const { integer, text, choice, path } = setting;
  return {
    natsUrl: text(defaults.natsUrl),
    model: text(defaults.model, 64),
    modelPath: path(defaults.modelPath),
    // A .gguf file or an OpenAI-compatible server's URL; unset: the GGUF at modelPath.
    modelSource: modelSourceSetting(),
    // A served model's window when its server does not report max_model_len (0: as reported).
    contextLength: integer(0, 1_048_576, 0),
    threads: integer(1, 256, defaults.threads),
    gpu: choice(['auto', 'off'] as const, defaults.gpu),
    maxSequences: integer(1, 64, defaults.maxSequences),
    // Unique per process unless set: a restarted worker is a new worker.
    workerId: z
      .string()
      .trim()
      .max(64)
      .optional()
      .transform((id) => (id === undefined || id === '' ? `${role}-${randomUUID().slice(0, 8)}` : id)),
    heartbeatIntervalMs: integer(10, 60_000, defaults.heartbeatIntervalMs),
    shutdownGraceMs: integer(0, 600_000, defaults.shutdownGraceMs),
  };
}

/**
 * How long a request may wait for a llama.cpp sequence inside a worker's
 * engine: a worker refuses more generations than it has sequences, so only
 * a superseded request's last step is ever waited for.
 */
export const WORKER_SEQUENCE_WAIT_MS = 5_000;

/** A worker's settings that choose its engine: a GGUF in the process, or an OpenAI-compatible server. */
export interface WorkerEngineSettings {
  model: string;
  modelPath: string;
  /** Where the model is served from; wins over `modelPath` and the legacy `engine`/`openai*` settings. */
  modelSource?: ModelSource;
  /** A served model's context window when its server does not report one (0 or unset: as reported). */
  contextLength?: number;
  threads: number;
  gpu: 'auto' | 'off';
  maxSequences: number;
  /** Legacy (LLM worker): `openai` serves through `openaiBaseUrl`; prefer `modelSource`. */
  engine?: 'llama' | 'openai';
  openaiBaseUrl?: string;
  /** The server's name of the model ('' = the worker's model name). */
  openaiModel?: string;
}

/** Where a worker's model is served from: `modelSource`, else the legacy OpenAI settings, else the GGUF at `modelPath`. */
export function workerModelSource(settings: WorkerEngineSettings): ModelSource {
  if (settings.modelSource !== undefined) return settings.modelSource;
  if (settings.engine === 'openai') {
    const model = settings.openaiModel === undefined || settings.openaiModel === '' ? settings.model : settings.openaiModel;
    return { kind: 'endpoint', baseUrl: settings.openaiBaseUrl ?? '', model };
  }
  return { kind: 'gguf', path: settings.modelPath };
}

/** The engine a worker runs, from its settings: one sequence per generation it serves at once. */
export function workerEngineSpec(settings: WorkerEngineSettings): EngineSpec {
  const source = workerModelSource(settings);
  if (source.kind === 'endpoint') {
    const spec: EngineSpec = { kind: 'openai', baseUrl: source.baseUrl, model: source.model ?? '' };
    if (settings.contextLength !== undefined && settings.contextLength > 0) spec.contextLength = settings.contextLength;
    return spec;
  }
  return {
    kind: 'llama',
    modelPath: source.path,
    sequences: settings.maxSequences,
    threads: settings.threads,
    gpu: settings.gpu,
    sequenceWaitMs: WORKER_SEQUENCE_WAIT_MS,
  };
}
