import { valueWithin } from '@relayllm/bounded-waits';
import { describeModelSource, readChatTemplateFile, type ModelSource } from '@relayllm/app-kit';
import { LlamaCppEngine, OpenAiCompletionsEngine } from '@relayllm/engines';
import { loadLlama, type Llama } from '@relayllm/llama-cpp';
import { withKnownChatFormat, type ChatTemplateSource, type Engine, type ModelDescriber, type RelayModels } from '@relayllm/relay-core';
import { modelSources, type RelayllmConfig } from './config';

/** File names of the pair inside a models directory (as training/ exports them). */
export const MODEL_FILES = { slm: 'slm.gguf', llm: 'llm.gguf' } as const;

/** The llama.cpp engine behind a model served from a GGUF (specs and benches read its counters); throws for a server. */
export function llamaEngineOf(engine: Engine): LlamaCppEngine {
  if (engine instanceof LlamaCppEngine) return engine;
  throw new TypeError('this model is not served from a GGUF file in this process');
}

export interface EmbeddedEngines {
  slm: Engine;
  llm: Engine;
  /** What the two models say of themselves (described once both started). */
  models: RelayModels;
  /** The operator's chat template (--chat-template), which replaces the SLM's own. */
  chatTemplate: ChatTemplateSource | undefined;
  /** Tokens both models can see: the smaller context window of the two. */
  contextSize: number;
  /** Where each model is served from, for logs. */
  served: { slm: string; llm: string };
  /** Closes both engines, then the shared binding. Idempotent. */
  close(): Promise<void>;
}

type EngineSettings = Pick<RelayllmConfig, 'modelsDir' | 'threads' | 'sequences' | 'gpu'> &
  Partial<Pick<RelayllmConfig, 'slmModel' | 'llmModel' | 'chatTemplate'>> & {
  /** 'full': the SLM's chunks carry whole next-token distributions (the eval's uncertainty policy; GGUF only). */
  slmProbabilities?: 'sampled' | 'full';
};

type DescribedEngine = Engine & ModelDescriber;

/**
 * Starts the pair in this process: GGUF files on ONE llama.cpp binding
 * (`sequences` parallel generations per model), servers through their
 * OpenAI-compatible API; a mixed pair works. Then each model describes
 * itself. A model that fails to load or answer rejects naming the model
 * (a GGUF's ModelLoadError names the file); whatever was started is closed first.
 */
export async function startEmbeddedEngines(settings: EngineSettings): Promise<EmbeddedEngines> {
  const sources = modelSources(settings);
  const chatTemplate = settings.chatTemplate === undefined ? undefined : readChatTemplateFile(settings.chatTemplate, '--chat-template');
  const needsLlama = sources.slm.kind === 'gguf' || sources.llm.kind === 'gguf';
  const llama: Llama | undefined = needsLlama ? await loadLlama({ gpu: settings.gpu === 'off' ? false : 'auto', maxThreads: settings.threads }) : undefined;
  const engine = (source: ModelSource, probabilities: 'sampled' | 'full' = 'sampled'): DescribedEngine =>
    source.kind === 'gguf'
      ? new LlamaCppEngine({ modelPath: source.path, llama, sequences: settings.sequences, threads: settings.threads, probabilities })
      : new OpenAiCompletionsEngine({ baseUrl: source.baseUrl, model: source.model ?? '', chatTemplate });
  const slm = engine(sources.slm, settings.slmProbabilities);
  const llm = engine(sources.llm);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await Promise.all([slm.close(), llm.close()]);
      await llama?.dispose();
    })());
  // Sequential, SLM first: a failure then always names the first bad model,
  // whatever the load times (parallel loading would race two errors).
  try {
    await slm.start();
    await llm.start();
    const models: RelayModels = { slm: withKnownChatFormat(await slm.describe()), llm: withKnownChatFormat(await llm.describe()) };
    const contextSize = Math.min(models.slm.profile.contextLength, models.llm.profile.contextLength);
    const served = { slm: describeModelSource(sources.slm), llm: describeModelSource(sources.llm) };
    return { slm, llm, models, chatTemplate, contextSize, served, close };
  } catch (error) {
    await closeWithin(close, CLEANUP_AFTER_FAILURE_MS);
    throw error;
  }
}

/** How long a start that failed waits for what it loaded to be released before it reports the failure. */
const CLEANUP_AFTER_FAILURE_MS = 5_000;

/**
 * Runs `close` for at most `ms`. The timer is deliberately referenced: after a
 * failed model load, llama.cpp's release can settle without anything keeping
 * the event loop alive, and Node would then exit with code 0 before the
 * failure is reported (seen: 1 run in 8 with a truncated GGUF).
 */
async function closeWithin(close: () => Promise<void>, ms: number): Promise<void> {
  await valueWithin(close(), ms);
}
