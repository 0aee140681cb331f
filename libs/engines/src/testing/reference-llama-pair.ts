import { loadLlama, type Llama } from '@relayllm/llama-cpp';
import { referenceModelDir } from '@relayllm/testing';
import { join } from 'node:path';
import { LlamaCppEngine } from '../lib/llama/llama-cpp-engine';

/** The reference pair on real llama.cpp engines sharing one binding (specs only). */
export interface ReferenceLlamaPair {
  llama: Llama;
  slm: LlamaCppEngine;
  llm: LlamaCppEngine;
  close(): Promise<void>;
}

/** Loads and starts the reference SLM and LLM with the given parallel sequences each. */
export async function startReferenceLlamaPair(sequences: { slm: number; llm: number }): Promise<ReferenceLlamaPair> {
  const llama = await loadLlama();
  const dir = referenceModelDir();
  const slm = new LlamaCppEngine({ modelPath: join(dir, 'slm.gguf'), llama, sequences: sequences.slm });
  const llm = new LlamaCppEngine({ modelPath: join(dir, 'llm.gguf'), llama, sequences: sequences.llm });
  const close = async (): Promise<void> => {
    await Promise.all([slm.close(), llm.close()]);
    await llama.dispose();
  };
  try {
    await Promise.all([slm.start(), llm.start()]);
  } catch (error) {
    await close();
    throw error;
  }
  return { llama, slm, llm, close };
}
