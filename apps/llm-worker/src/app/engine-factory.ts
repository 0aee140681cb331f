import { LlamaCppEngine, OpenAiCompletionsEngine } from '@relayllm/engines';
import type { Engine } from '@relayllm/relay-core';
import type { LlmWorkerConfig } from './config';

/** How long a request may wait for a sequence inside the engine (the worker refuses beyond max_sequences itself). */
const ENGINE_SEQUENCE_WAIT_MS = 5_000;

/** The worker's engine from its config (not started). */
export function createLlmEngine(config: LlmWorkerConfig): Engine {
  if (config.engine === 'openai') {
    return new OpenAiCompletionsEngine({ baseUrl: config.openaiBaseUrl, model: config.openaiModel === '' ? config.model : config.openaiModel });
  }
  return new LlamaCppEngine({
    modelPath: config.modelPath,
    sequences: config.maxSequences,
    threads: config.threads,
    gpu: config.gpu === 'off' ? false : 'auto',
    // A superseded attempt of the same generation may hold its sequence for one more step.
    waitTimeoutMs: ENGINE_SEQUENCE_WAIT_MS,
    maxWaiting: config.maxSequences,
  });
}
