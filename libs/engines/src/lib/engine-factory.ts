import type { Engine, ModelDescriber } from '@relayllm/relay-core';
import { LlamaCppEngine } from './llama/llama-cpp-engine';
import { OpenAiCompletionsEngine } from './openai/openai-completions-engine';

/** Which engine serves a model, and how: a GGUF file in this process, or an OpenAI-compatible server. */
export type EngineSpec =
  | {
      kind: 'llama';
      modelPath: string;
      /** Parallel sequences (one per generation this engine serves at once). */
      sequences: number;
      threads: number;
      gpu: 'auto' | 'off';
      /** How long a request may wait for a free sequence. */
      sequenceWaitMs: number;
    }
  | {
      kind: 'openai';
      /** e.g. http://vllm:8000 (the engine appends /v1/completions). */
      baseUrl: string;
      /** The model name the server knows ('' = the one model the server lists). */
      model: string;
      /** Its context length when the server does not report max_model_len (or a smaller one to use). */
      contextLength?: number;
    };

/** The one way an app builds an engine from its configuration (not started: the host calls start(), then describe()). */
export function createEngine(spec: EngineSpec): Engine & ModelDescriber {
  if (spec.kind === 'openai') return new OpenAiCompletionsEngine({ baseUrl: spec.baseUrl, model: spec.model, contextLength: spec.contextLength });
  return new LlamaCppEngine({
    modelPath: spec.modelPath,
    sequences: spec.sequences,
    threads: spec.threads,
    gpu: spec.gpu === 'off' ? false : 'auto',
    waitTimeoutMs: spec.sequenceWaitMs,
    maxWaiting: spec.sequences,
  });
}
