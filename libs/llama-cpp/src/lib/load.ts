import { open, stat } from 'fs/promises';
import { availableParallelism } from 'os';
import { resolve } from 'path';
import { ModelLoadError } from './errors';
import { importNodeLlamaCpp } from './esm';
import { serializeSampling } from './serial-sampling';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaLogLevel as LogLevel, LlamaModel } from './types';

/**
 * llama.cpp threads for one evaluation: half the cores, at least 1, at most 4.
 * ggml worker threads spin while waiting, so oversubscribing cores is catastrophic
 * (4 threads on a 2-core box: ~2 tok/s); half leaves room for the Node event loop,
 * Jest workers and other processes, and the tiny RelayLLM models gain nothing past 4.
 * 2 cores -> 1, 4 -> 2, 8+ -> 4.
 */
export function defaultThreads(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(4, Math.floor(cores / 2)));
}

export interface LoadLlamaOptions {
  /** 'auto' (default): a prebuilt GPU backend when one works here, else CPU. false: CPU. */
  gpu?: 'auto' | false;
  /** Minimum llama.cpp log level printed (default 'warn'). */
  logLevel?: LogLevel;
  /** Receives llama.cpp log lines (default: stderr, prefixed `[llama.cpp]`). */
  onLog?: (level: LogLevel, message: string) => void;
  /** Cap on llama.cpp threads across contexts (default {@link defaultThreads}). */
  maxThreads?: number;
}

const RECENT_LOG_LINES = 8;
const recentLogs = new WeakMap<Llama, string[]>();

/** A llama.cpp binding from the prebuilt binaries only: never builds, never downloads. */
export async function loadLlama(opts: LoadLlamaOptions = {}): Promise<Llama> {
  const { getLlama, LlamaLogLevel } = await importNodeLlamaCpp();
  const recent: string[] = [];
  const onLog = opts.onLog ?? ((_: LogLevel, message: string) => process.stderr.write(`[llama.cpp] ${message}\n`));
  const base = {
    build: 'never',
    usePrebuiltBinaries: true,
    skipDownload: true,
    progressLogs: false,
    maxThreads: opts.maxThreads ?? defaultThreads(),
    logLevel: opts.logLevel ?? LlamaLogLevel.warn,
    logger: (level: LogLevel, message: string) => {
      recent.push(message.trim());
      if (recent.length > RECENT_LOG_LINES) recent.shift();
      onLog(level, message);
    },
  } as const;
  let llama: Llama;
  if (opts.gpu === false) {
    llama = await getLlama({ ...base, gpu: false });
  } else {
    try {
      llama = await getLlama({ ...base, gpu: 'auto' });
    } catch {
      llama = await getLlama({ ...base, gpu: false });
    }
  }
  recentLogs.set(llama, recent);
  return llama;
}

const GGUF_MAGIC = Buffer.from('GGUF', 'ascii');
/** magic (4) + version (u32) + tensor count (u64) + metadata kv count (u64). */
const GGUF_HEADER_BYTES = 24;

async function assertGgufFile(path: string): Promise<void> {
  const info = await stat(path).catch((err: unknown) => {
    throw new ModelLoadError(path, 'missing', 'file does not exist', { cause: err });
  });
  if (!info.isFile()) throw new ModelLoadError(path, 'not-a-file', 'not a regular file');
  const header = Buffer.alloc(GGUF_HEADER_BYTES);
  const file = await open(path, 'r');
  let read: number;
  try {
    ({ bytesRead: read } = await file.read(header, 0, GGUF_HEADER_BYTES, 0));
  } finally {
    await file.close();
  }
  if (read < GGUF_HEADER_BYTES || !header.subarray(0, 4).equals(GGUF_MAGIC)) {
    throw new ModelLoadError(path, 'not-gguf', `no GGUF header (file has ${info.size} bytes)`);
  }
  const version = header.readUInt32LE(4);
  if (version < 2 || version > 3) {
    throw new ModelLoadError(path, 'not-gguf', `unsupported GGUF version ${version}`);
  }
}

/** Loads a GGUF model; any failure is a {@link ModelLoadError} naming the file. */
export async function loadGgufModel(llama: Llama, path: string): Promise<LlamaModel> {
  const modelPath = resolve(path);
  await assertGgufFile(modelPath);
  try {
    return await llama.loadModel({ modelPath });
  } catch (err) {
    await new Promise((r) => setTimeout(r, 10)); // llama.cpp log lines arrive asynchronously
    const log = (recentLogs.get(llama) ?? []).filter((line) => /error|fail|corrupt/i.test(line));
    const detail = [err instanceof Error ? err.message : String(err), ...log.slice(-2)].join(' | ');
    throw new ModelLoadError(modelPath, 'rejected-by-llama-cpp', detail, { cause: err });
  }
}

export interface ContextOptions {
  /** Context window in tokens (default: the model's training context). */
  contextSize?: number;
  /** Parallel sequences (default 1). */
  sequences?: number;
  /** Threads for this context (default {@link defaultThreads}). */
  threads?: number;
  /** KV-cache precision (default F32, see {@link exactAttentionOptions}). */
  kvCacheType?: 'F32' | 'F16';
}

/** Options of a one-sequence context ({@link createSequence}). */
export type SequenceOptions = Omit<ContextOptions, 'sequences'>;

/**
 * Context options for attention computed in F32. With llama.cpp's defaults (flash
 * attention "auto", F16 KV cache) the CPU backend computes Q·K in F16, which moved the
 * trained reference pair's next-token probabilities by up to 2.3e-3 from PyTorch's on
 * out-of-distribution prompts (and flipped a greedy token); with these options the
 * parity spec measures at most 7e-6. The reference models are tiny, so the F32 cache
 * costs nothing that matters.
 */
export function exactAttentionOptions(type: 'F32' | 'F16' = 'F32') {
  return { experimentalKvCacheKeyType: type, experimentalKvCacheValueType: type, flashAttention: false } as const;
}

/**
 * THE way this project makes a llama.cpp context: F32 attention (exactAttentionOptions)
 * and sampling calls run one at a time (serializeSampling), so every context, whatever
 * its number of sequences, reproduces PyTorch and is batch-invariant.
 */
export async function createExactContext(model: LlamaModel, opts: ContextOptions = {}): Promise<LlamaContext> {
  const context = await model.createContext({
    contextSize: opts.contextSize ?? model.trainContextSize,
    sequences: opts.sequences ?? 1,
    threads: opts.threads ?? defaultThreads(),
    ...exactAttentionOptions(opts.kvCacheType),
  });
  serializeSampling(context);
  return context;
}

/** One context with one sequence; dispose the context when done. */
export async function createSequence(
  model: LlamaModel,
  opts: SequenceOptions = {},
): Promise<{ context: LlamaContext; sequence: LlamaContextSequence }> {
  const context = await createExactContext(model, { ...opts, sequences: 1 });
  return { context, sequence: context.getSequence() };
}
