import { LlamaCppEngine } from '@relayllm/engines';
import type { SlmWorkerConfig } from './config';

/** How long a generate may wait for a llama.cpp sequence (streams are capped at the sequence count, so only a superseded generate's last step is waited for). */
const ENGINE_SEQUENCE_WAIT_MS = 5_000;

/** The worker's SLM engine (not started): one context with one sequence per stream. */
export function createSlmEngine(config: SlmWorkerConfig): LlamaCppEngine {
  return new LlamaCppEngine({
    modelPath: config.modelPath,
    sequences: config.maxSequences,
    threads: config.threads,
    gpu: config.gpu === 'off' ? false : 'auto',
    waitTimeoutMs: ENGINE_SEQUENCE_WAIT_MS,
    maxWaiting: config.maxSequences,
  });
}
