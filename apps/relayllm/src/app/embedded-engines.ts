import { LlamaCppEngine } from '@relayllm/engines';
import { loadLlama, type Llama } from '@relayllm/llama-cpp';
import { join } from 'path';
import type { RelayllmConfig } from './config';

/** File names of the pair inside the models directory (as training/ exports them). */
export const MODEL_FILES = { slm: 'slm.gguf', llm: 'llm.gguf' } as const;

export interface EmbeddedEngines {
  slm: LlamaCppEngine;
  llm: LlamaCppEngine;
  /** Tokens both models can see: the smaller context window of the two. */
  contextSize: number;
  /** Closes both engines, then the shared binding. Idempotent. */
  close(): Promise<void>;
}

type EngineSettings = Pick<RelayllmConfig, 'modelsDir' | 'threads' | 'sequences' | 'gpu'> & {
  /** 'full': the SLM's chunks carry whole next-token distributions (the eval's uncertainty policy). */
  slmProbabilities?: 'sampled' | 'full';
};

/**
 * Starts the SLM and the LLM in this process: ONE llama.cpp binding shared by
 * two LlamaCppEngines (one context each, `sequences` parallel generations).
 * A missing or corrupt model file rejects with the loader's ModelLoadError,
 * which names the file; whatever was loaded by then is released first.
 */
export async function startEmbeddedEngines(settings: EngineSettings): Promise<EmbeddedEngines> {
  const llama: Llama = await loadLlama({ gpu: settings.gpu === 'off' ? false : 'auto', maxThreads: settings.threads });
  const engine = (file: string, probabilities: 'sampled' | 'full' = 'sampled'): LlamaCppEngine =>
    new LlamaCppEngine({
      modelPath: join(settings.modelsDir, file),
      llama,
      sequences: settings.sequences,
      threads: settings.threads,
      probabilities,
    });
  const slm = engine(MODEL_FILES.slm, settings.slmProbabilities);
  const llm = engine(MODEL_FILES.llm);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await Promise.all([slm.close(), llm.close()]);
      await llama.dispose();
    })());
  // Sequential, SLM first: a failure then always names the first bad file,
  // whatever the load times (parallel loading would race two errors).
  try {
    await slm.start();
    await llm.start();
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return { slm, llm, contextSize: Math.min(slm.contextSize, llm.contextSize), close };
}
