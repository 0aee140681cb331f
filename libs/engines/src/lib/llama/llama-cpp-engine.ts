import { valueWithin } from '@relayllm/bounded-waits';
import {
  FailedPreconditionReason,
  InvalidArgumentReason,
  RelayError,
  UnavailableReason,
  validateCallBias,
  type Engine,
  type EngineRequest,
  type ModelDescriber,
  type ModelDescription,
} from '@relayllm/relay-core';
import {
  createExactContext,
  importNodeLlamaCpp,
  loadGgufModel,
  loadLlama,
  promptTokens,
  vocabSize,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaLogLevel,
  type LlamaModel,
  type NodeLlamaCppModule,
} from '@relayllm/llama-cpp';
import { commandOpeningIds } from './command-opening';
import { decodeStream } from './decode-stream';
import { contextIds, planKvReuse, type TextTokenization } from './kv-plan';
import { describeLlamaModel } from './model-description';
import type { LlamaEngineChunk } from './output-assembler';
import { SequencePool } from './sequence-pool';

export interface LlamaCppEngineOptions {
  /** GGUF file (a missing or corrupt one fails start() with the loader's ModelLoadError). */
  modelPath: string;
  /** Parallel sequences of the one context (default 4). */
  sequences?: number;
  /** Context window in tokens, shared by the sequences' caches (default: the model's training context). */
  contextSize?: number;
  /** 'auto' (default): a GPU when llama.cpp finds one, else CPU. false: CPU. Ignored with `llama`. */
  gpu?: 'auto' | false;
  /** llama.cpp threads (default defaultThreads(): half the cores, so a small box is not oversubscribed). */
  threads?: number;
  /** A binding shared with other engines; then close() leaves it alone. */
  llama?: Llama;
  /** 'full': every chunk also carries the whole next-token distribution per id (default 'sampled'). */
  probabilities?: 'sampled' | 'full';
  /** How long a request may wait for a free sequence (default 30 s; 0: fail at once). */
  waitTimeoutMs?: number;
  /** Requests that may wait for a sequence at once (default 64). */
  maxWaiting?: number;
  /** llama.cpp log lines (default: stderr, from level warn). */
  onLog?: (level: LlamaLogLevel, message: string) => void;
}

interface Loaded {
  llama: Llama;
  ownsLlama: boolean;
  model: LlamaModel;
  context: LlamaContext;
  pool: SequencePool<LlamaContextSequence>;
  TokenBias: NodeLlamaCppModule['TokenBias'];
  vocabSize: number;
  /** How a text-only context becomes ids (see contextIds). */
  textTokenization: TextTokenization;
  /** What a request's callBias is added to (see commandOpeningIds). */
  commandOpeningIds: readonly number[];
  description?: ModelDescription;
}

/** How long close() lets in-flight streams finish their current step before freeing the model. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Engine on node-llama-cpp: one model, ONE context with N sequences, each
 * sequenceId kept on its own sequence (LRU) so that an append-only relay turn
 * evaluates only the tokens that are new to that sequence's KV cache.
 */
export class LlamaCppEngine implements Engine, ModelDescriber {
  private loaded: Loaded | undefined;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Aborts every in-flight stream when the engine closes. */
  private readonly shutdown = new AbortController();
  private evaluated = 0;

  constructor(readonly options: Readonly<LlamaCppEngineOptions>) {}

  /** Tokens actually fed to the model so far (prompt, appended and generated), for tests and metrics. */
  get evaluatedTokens(): number {
    return this.evaluated;
  }

  /** Sequences leased by a running generate() (0 when idle). */
  busySequences(): number {
    return this.loaded?.pool.busyCount() ?? 0;
  }

  /** The context window in tokens (after start). */
  get contextSize(): number {
    return this.requireLoaded().context.contextSize;
  }

  /**
   * What the loaded GGUF says of itself (profile, chat template, tokenizer);
   * see model-description.ts. After start(); computed once.
   */
  async describe(): Promise<ModelDescription> {
    const loaded = this.requireLoaded();
    loaded.description ??= describeLlamaModel(loaded.model, this.options.modelPath, loaded.context.contextSize);
    return loaded.description;
  }

  start(): Promise<void> {
    if (this.closing !== undefined) return Promise.reject(RelayError.unavailable(UnavailableReason.ENGINE_CLOSED, 'engine is closed'));
    this.starting ??= this.load();
    return this.starting;
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<LlamaEngineChunk> {
    return this.run(request, signal);
  }

  /** The generation is over: its sequence goes to the next id first (its KV cache is of no more use). */
  release(sequenceId: string): void {
    this.loaded?.pool.forget(sequenceId);
  }

  close(): Promise<void> {
    this.closing ??= this.unload();
    return this.closing;
  }

  private async load(): Promise<void> {
    const { options } = this;
    const sequences = options.sequences ?? 4;
    if (!Number.isInteger(sequences) || sequences < 1) throw new RangeError(`sequences must be >= 1, got ${sequences}`);
    const ownsLlama = options.llama === undefined;
    const llama = options.llama ?? (await loadLlama({ gpu: options.gpu ?? 'auto', onLog: options.onLog }));
    let model: LlamaModel | undefined;
    try {
      model = await loadGgufModel(llama, options.modelPath);
      // F32 attention and one-at-a-time sampling: serving reproduces the PyTorch
      // reference and sequences decoded together are batch-invariant.
      const context = await createExactContext(model, { contextSize: options.contextSize, sequences, threads: options.threads });
      const all = Array.from({ length: sequences }, () => context.getSequence());
      const pool = new SequencePool(all, {
        waitTimeoutMs: options.waitTimeoutMs ?? 30_000,
        maxWaiting: options.maxWaiting ?? 64,
      });
      const { TokenBias } = await importNodeLlamaCpp();
      this.loaded = {
        llama,
        ownsLlama,
        model,
        context,
        pool,
        TokenBias,
        vocabSize: vocabSize(model),
        textTokenization: textTokenizationOf(model),
        commandOpeningIds: commandOpeningIds(model),
      };
    } catch (error) {
      await model?.dispose().catch(() => undefined);
      if (ownsLlama) await llama.dispose().catch(() => undefined);
      throw error;
    }
  }

  private async unload(): Promise<void> {
    this.shutdown.abort();
    await this.starting?.catch(() => undefined);
    const loaded = this.loaded;
    if (loaded === undefined) return;
    loaded.pool.close();
    // Streams stop at the shutdown signal within one model step; a consumer
    // that stopped iterating without return() must not block close forever.
    await valueWithin(loaded.pool.idle(), CLOSE_GRACE_MS);
    await loaded.context.dispose();
    await loaded.model.dispose();
    if (loaded.ownsLlama) await loaded.llama.dispose();
  }

  /** A stream cut by close(), not by its caller, is a failure of the engine (as in the OpenAI engine). */
  private throwIfClosedUnder(signal: AbortSignal): void {
    if (!signal.aborted && this.shutdown.signal.aborted) {
      throw RelayError.unavailable(UnavailableReason.ENGINE_CLOSED, 'engine closed during the request');
    }
  }

  private requireLoaded(): Loaded {
    if (this.closing !== undefined) throw RelayError.unavailable(UnavailableReason.ENGINE_CLOSED, 'engine is closed');
    if (this.loaded === undefined) throw RelayError.failedPrecondition(FailedPreconditionReason.ENGINE_NOT_STARTED, 'engine not started');
    return this.loaded;
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<LlamaEngineChunk> {
    const loaded = this.requireLoaded();
    const target = contextTokens(loaded, request);
    const room = loaded.context.contextSize - target.length;
    if (room < 1) {
      throw RelayError.invalidArgument(InvalidArgumentReason.CONTEXT_TOO_LONG,
        `context of ${target.length} tokens leaves no room in a ${loaded.context.contextSize}-token window`,
        'context',
      );
    }
    checkRequestSettings(loaded, request);
    const runSignal = AbortSignal.any([signal, this.shutdown.signal]);
    const lease = await loaded.pool.acquire(request.sequenceId, runSignal);
    if (lease === undefined) {
      this.throwIfClosedUnder(signal);
      yield { tokens: [], text: '', finish: 'abort' };
      return;
    }
    let keepState = true;
    try {
      const { sequence } = lease;
      const plan = planKvReuse({
        cached: sequence.contextTokens,
        target,
        owned: lease.owned,
        appendOnly: request.appendOnly,
        appendFrom: request.appendFrom?.tokens,
      });
      const stream = decodeStream(
        {
          sequence,
          model: loaded.model,
          TokenBias: loaded.TokenBias,
          vocabSize: loaded.vocabSize,
          commandOpeningIds: loaded.commandOpeningIds,
          request,
          plan,
          limit: Math.min(request.maxTokens, room),
          fullDistribution: this.options.probabilities === 'full',
          onEvaluated: (n) => (this.evaluated += n),
        },
        runSignal,
      );
      let prefill: LlamaEngineChunk['prefill'] = { reusedTokens: plan.keep, evaluatedTokens: plan.feed.length };
      for await (const chunk of stream) {
        if (chunk.finish === 'abort') this.throwIfClosedUnder(signal);
        yield prefill === undefined ? chunk : { ...chunk, prefill };
        prefill = undefined;
      }
    } catch (error) {
      keepState = false; // the cache may be half-updated: the next request on it starts over
      throw error;
    } finally {
      lease.release(keepState);
    }
  }
}

/**
 * A model with a chat template is given contexts that hold its rendered
 * markers (`<|im_start|>`): a text-only context is tokenized with special
 * tokens parsed, BOS added when the model wants it. A model without one (the
 * reference pair) gets `[BOS, ...tokenize(text, false)]`: a typed `<call>` stays bytes.
 */
function textTokenizationOf(model: LlamaModel): TextTokenization {
  const template: unknown = model.fileInfo.metadata.tokenizer?.chat_template;
  if (typeof template !== 'string' || template.trim() === '') return (text) => promptTokens(model, text);
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  return (text) => {
    const ids: number[] = [...model.tokenize(text, true)];
    return bos !== null && ids[0] !== bos ? [bos, ...ids] : ids;
  };
}

/** The request's context as ids: its own tokens, else its text tokenized as the model's contexts are. */
function contextTokens(loaded: Loaded, request: EngineRequest): number[] {
  const ids = contextIds(request.context, loaded.textTokenization);
  if (ids.length === 0) throw RelayError.invalidArgument(InvalidArgumentReason.CONTEXT_TOKENS_INVALID, 'empty context', 'context');
  checkIds(loaded, ids, 'context.tokens');
  return ids;
}

/**
 * The request's settings within the engine contract: maxTokens >= 1, banned
 * ids in the vocabulary, callBias within its bound (checked again here,
 * since a worker takes requests from the wire).
 */
function checkRequestSettings(loaded: Loaded, request: EngineRequest): void {
  if (!Number.isInteger(request.maxTokens) || request.maxTokens < 1) {
    throw RelayError.invalidArgument(InvalidArgumentReason.MAX_TOKENS_RANGE, 'maxTokens must be an integer >= 1', 'maxTokens');
  }
  checkIds(loaded, request.bannedTokens, 'bannedTokens');
  if (request.callBias !== undefined) validateCallBias(request.callBias);
}

function checkIds(loaded: Loaded, ids: readonly number[], field: string): void {
  const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= loaded.vocabSize);
  if (bad !== undefined) {
    throw RelayError.invalidArgument(InvalidArgumentReason.CONTEXT_TOKENS_INVALID, `${field}: ${bad} is not a token id`, field);
  }
}
