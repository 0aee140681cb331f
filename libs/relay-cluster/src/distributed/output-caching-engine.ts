import { chunkTokenCount, EngineDecorator, type Engine, type EngineChunk, type EngineRequest, type SamplingParams } from '@relayllm/relay-core';
import { storeKey, type KeyValueStore } from '../ports/key-value-store';
import { sha256Hex, type Hasher } from './hashing';
import { tenantOfSequence } from './tenant-scope';

export interface OutputCachingEngineOptions {
  /** LLM model name: part of the key, so two models never share outputs. */
  model: string;
  store: KeyValueStore;
  hasher?: Hasher;
  /** How long a cached output lives (default 10 min). */
  ttlMs?: number;
  /** Outputs whose encoded form is longer than this are not cached (default 64 KiB of chars). */
  maxValueChars?: number;
  /** Told about store failures (they count as misses); must not throw. */
  onStoreError?: (error: unknown) => void;
}

/** A relay is reproducible when sampling is greedy or seeded. */
export function isDeterministicSampling(sampling: SamplingParams): boolean {
  return sampling.temperature === 0 || sampling.seed !== undefined;
}

/**
 * Cache key of a relay's output: model + hash of the tenant and everything
 * that decides what a deterministic LLM writes: the LLM-view context text
 * (commands stripped), n (maxTokens), sampling, stop strings / tokens and
 * banned tokens. Not the rest of the sequence id or the turn: two
 * generations of one tenant with the same prefix share the entry; two
 * tenants never do (a hit would tell one that the other asked it). The
 * tenant travels in the sequence id (tenantGenerationId), the one part of
 * the engine request that names the generation.
 */
export function llmOutputCacheKey(model: string, request: EngineRequest, hasher: Hasher = sha256Hex): string {
  const { temperature, topP, seed } = request.sampling;
  const material = JSON.stringify([
    model,
    tenantOfSequence(request.sequenceId),
    request.context.text,
    request.maxTokens,
    [temperature ?? null, topP ?? null, seed ?? null],
    request.stop,
    request.stopTokens,
    request.bannedTokens,
  ]);
  return storeKey('output', `${model}:${hasher(material)}`);
}

interface CachedOutput {
  v: 1;
  chunks: EngineChunk[];
}

function decode(value: string): EngineChunk[] | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<CachedOutput>;
    if (parsed.v !== 1 || !Array.isArray(parsed.chunks)) return undefined;
    const ok = parsed.chunks.every((c) => typeof c === 'object' && c !== null && typeof c.text === 'string' && Array.isArray(c.tokens));
    return ok ? parsed.chunks : undefined;
  } catch {
    return undefined;
  }
}

/**
 * LLM Engine decorator: for deterministic relays (temperature 0 or a fixed
 * seed) it replays the chunks a previous identical relay produced, instead of
 * asking a worker. Only a complete output is stored (the LLM wrote all n
 * tokens, reported a finish, or its stream ended without an abort), so a
 * cached entry is always the whole answer to its key; a stream that failed
 * or was cut short by cancellation is not. Store failures and undecodable entries are misses; the
 * store is never awaited on the hot path for writes (fire and forget).
 */
export class OutputCachingEngine extends EngineDecorator {
  private readonly hasher: Hasher;
  private readonly ttlMs: number;
  private readonly maxValueChars: number;
  hits = 0;
  misses = 0;

  constructor(
    inner: Engine,
    private readonly options: OutputCachingEngineOptions,
  ) {
    super(inner);
    this.hasher = options.hasher ?? sha256Hex;
    this.ttlMs = options.ttlMs ?? 600_000;
    this.maxValueChars = options.maxValueChars ?? 65_536;
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    if (!isDeterministicSampling(request.sampling)) return this.inner.generate(request, signal);
    return this.cachedRelay(request, signal);
  }

  private async *cachedRelay(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk, void, undefined> {
    const key = llmOutputCacheKey(this.options.model, request, this.hasher);
    const cached = await this.lookup(key);
    if (signal.aborted) return;
    if (cached !== undefined) {
      this.hits += 1;
      for (const chunk of cached) {
        if (signal.aborted) return;
        yield chunk;
      }
      return;
    }
    this.misses += 1;
    const chunks: EngineChunk[] = [];
    let size = 0;
    let tokens = 0;
    // Complete = the LLM said it was done (a finish) or wrote all n tokens.
    // The relay usually stops reading right after the n-th token (and aborts
    // the stream), so "read to the end of the iteration" would almost never
    // hold; the output is complete all the same.
    let complete = false;
    let threw = false;
    try {
      for await (const chunk of this.inner.generate(request, signal)) {
        if (size <= this.maxValueChars) {
          chunks.push(chunk);
          size += chunk.text.length + 8 * chunk.tokens.length + 32;
        }
        tokens += chunkTokenCount(chunk);
        if ((chunk.finish !== undefined && chunk.finish !== 'abort') || tokens >= request.maxTokens) complete = true;
        yield chunk;
      }
      // The stream ended by itself, not aborted: that was its whole output.
      if (!signal.aborted) complete = true;
    } catch (error) {
      threw = true;
      throw error;
    } finally {
      // Also runs when the consumer stops early (return()): stored only if complete.
      if (complete && !threw && size <= this.maxValueChars) this.store(key, chunks);
    }
  }

  private store(key: string, chunks: EngineChunk[]): void {
    const value = JSON.stringify({ v: 1, chunks } satisfies CachedOutput);
    if (value.length > this.maxValueChars) return;
    this.options.store.set(key, value, this.ttlMs).catch((error: unknown) => this.options.onStoreError?.(error));
  }

  private async lookup(key: string): Promise<EngineChunk[] | undefined> {
    try {
      const value = await this.options.store.get(key);
      return value === undefined ? undefined : decode(value);
    } catch (error) {
      this.options.onStoreError?.(error);
      return undefined;
    }
  }
}
