import { storeKey, type KeyValueStore } from '../ports/key-value-store';
import { sha256Hex, type Hasher } from './hashing';
import { tenantOfGeneration } from './tenant-scope';

export interface PromptBlockOptions {
  /** Characters per block (default 256). Only whole blocks are keyed. */
  blockSize?: number;
  /** At most this many leading blocks are keyed (default 32): bounds store traffic per request. */
  maxBlocks?: number;
  hasher?: Hasher;
}

/**
 * Chained hashes of the prompt's leading fixed-size blocks: key i stands for
 * the whole prefix text[0 .. (i+1)·blockSize), so equal keys mean equal
 * prefixes. The last partial block is not keyed (it changes as prompts grow).
 */
export function promptBlockKeys(text: string, options: PromptBlockOptions = {}): string[] {
  const blockSize = options.blockSize ?? 256;
  const maxBlocks = options.maxBlocks ?? 32;
  const hasher = options.hasher ?? sha256Hex;
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError('blockSize must be a positive integer');
  const keys: string[] = [];
  let previous = '';
  for (let start = 0; start + blockSize <= text.length && keys.length < maxBlocks; start += blockSize) {
    previous = hasher(`${previous}\0${text.slice(start, start + blockSize)}`);
    keys.push(previous);
  }
  return keys;
}

export interface LlmAffinityOptions extends PromptBlockOptions {
  store: KeyValueStore;
  /** Model name, part of every key. */
  model: string;
  /** How long a recorded worker stays preferred (default 10 min). */
  ttlMs?: number;
  /**
   * Generations whose worker this replica recorded, remembered in process (LRU,
   * default 4096; 0 = off), so that a generation's later relays skip the store
   * round trip on the hot path. A stale entry (the generation moved to another
   * replica and worker) only costs KV reuse: the chooser still checks liveness.
   */
  localGenerations?: number;
}

/**
 * Which LLM worker should take a relay, from the shared store: first the
 * worker that served the generation's previous relay (its KV cache holds the
 * prefix), else the worker that last served the longest prompt prefix shared
 * with this one (block hashes). Store errors count as "no preference". Every
 * key has a TTL and a request touches at most maxBlocks + 1 keys.
 * Keys: `relay:affinity:gen:<model>:<generationId>`, `relay:affinity:block:<model>:<tenant>:<hash>`
 * (a prefix is shared only inside the tenant that sent it).
 */
export class LlmAffinity {
  private readonly ttlMs: number;
  private readonly localLimit: number;
  /** generationId → worker, insertion order = recency (Map iteration order). */
  private readonly local = new Map<string, string>();

  constructor(private readonly options: LlmAffinityOptions) {
    this.ttlMs = options.ttlMs ?? 600_000;
    this.localLimit = options.localGenerations ?? 4096;
  }

  async preferredWorker(generationId: string, promptText: string): Promise<string | undefined> {
    const known = this.local.get(generationId);
    if (known !== undefined) return known;
    const { store, model } = this.options;
    const keys = [storeKey('affinity', `gen:${model}:${generationId}`), ...this.blockKeys(generationId, promptText)];
    const values = await Promise.all(keys.map((key) => store.get(key).catch(() => undefined)));
    if (values[0] !== undefined) return values[0];
    for (let i = values.length - 1; i >= 1; i -= 1) {
      if (values[i] !== undefined) return values[i];
    }
    return undefined;
  }

  /**
   * Records that `workerId` now holds this generation's (and its prompt's) prefix. Never throws.
   * A generation's later relays to the same worker write nothing: its first record wrote the
   * generation key and the prompt's block keys, whose TTL outlives a generation, and the blocks
   * its later contexts add are its own generated text, which other prompts do not share. (With
   * the in-process memo off, every relay writes.)
   */
  async recordWorker(generationId: string, promptText: string, workerId: string): Promise<void> {
    const unchanged = this.local.get(generationId) === workerId;
    this.remember(generationId, workerId);
    if (unchanged) return;
    const { store, model } = this.options;
    const keys = [storeKey('affinity', `gen:${model}:${generationId}`), ...this.blockKeys(generationId, promptText)];
    await Promise.all(keys.map((key) => store.set(key, workerId, this.ttlMs).catch(() => undefined)));
  }

  /** Forgets the generation's worker (the generation ended); block keys live on for later prompts. */
  async forgetGeneration(generationId: string): Promise<void> {
    this.local.delete(generationId);
    await this.options.store.delete(storeKey('affinity', `gen:${this.options.model}:${generationId}`)).catch(() => undefined);
  }

  /**
   * The prompt's block keys inside the generation's tenant: a shared prefix
   * steers a relay to the worker whose KV cache holds it, which shows in its
   * latency, so one tenant must not learn through it what another sent.
   */
  private blockKeys(generationId: string, promptText: string): string[] {
    // Already percent-encoded by tenantGenerationId: holds no `:` or `/`.
    const tenant = tenantOfGeneration(generationId);
    return promptBlockKeys(promptText, this.options).map((h) => storeKey('affinity', `block:${this.options.model}:${tenant}:${h}`));
  }

  private remember(generationId: string, workerId: string): void {
    if (this.localLimit === 0) return;
    this.local.delete(generationId);
    this.local.set(generationId, workerId);
    if (this.local.size > this.localLimit) {
      const oldest = this.local.keys().next().value;
      if (oldest !== undefined) this.local.delete(oldest);
    }
  }
}
