import type { EngineContext } from '@relayllm/relay-core';

/** How an engine turns a text-only context into ids (its whole text, every time). */
export type TextTokenization = (text: string) => number[];

/**
 * A request's context as ids: its own ids when it has them, else its text
 * tokenized. A text-only context is tokenized whole on every request: a BPE
 * tokenizer may tokenize the end of the previous text differently once text
 * follows it (`" is"` + `"<"` ...), so the ids of the previous request are not
 * a prefix to extend. The KV plan then keeps what the cache and the new ids
 * share and re-evaluates from the first token that differs.
 */
export function contextIds(context: EngineContext, tokenizeText: TextTokenization): number[] {
  return context.tokens !== undefined ? [...context.tokens] : tokenizeText(context.text);
}

/**
 * What to keep of a sequence's KV cache for a new request, and what to feed.
 *
 * node-llama-cpp feeds a sampled token to the model only when the next token is
 * asked for, so after a stream stops the cache holds the context plus all
 * generated tokens but the last one (`sequence.contextTokens`). The plan is
 * therefore computed against what really is in the cache, never against what
 * the engine believes it produced: the longest common prefix is kept, the rest
 * of the cache is erased, and only the difference is evaluated.
 */
export interface KvPlan {
  /** Cache entries kept (a prefix of both the cache and the target). */
  keep: number;
  /** Tokens to evaluate: `target.slice(keep)`, never empty. */
  feed: readonly number[];
  /** True when the kept prefix is shorter than the cache (erase `[keep, cached.length)`). */
  erase: boolean;
}

export interface KvPlanInput {
  /** Tokens in the sequence's KV cache (`sequence.contextTokens`). */
  cached: readonly number[];
  /** The request's whole context as ids (non-empty). */
  target: readonly number[];
  /** The cache belongs to this request's sequenceId (else it is someone else's state). */
  owned: boolean;
  appendOnly: boolean;
  /**
   * `appendFrom.tokens`: length of the previous request's context in ids.
   * Absent for a text-only context: then only the common prefix decides.
   */
  appendFrom?: number;
}

export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i += 1;
  return i;
}

export function planKvReuse({ cached, target, owned, appendOnly, appendFrom }: KvPlanInput): KvPlan {
  if (target.length === 0) throw new Error('planKvReuse: empty context');
  let keep = 0;
  if (owned && appendOnly) {
    keep = commonPrefixLength(cached, target);
    // The caller says the previous context is a prefix of this one. If the cache
    // disagrees inside that previous context, the state is not what the caller
    // thinks (or not ours): start over rather than guess.
    const claimed = Math.min(appendFrom ?? 0, cached.length);
    if (keep < claimed) keep = 0;
  }
  // The logits of the last context token are needed to sample the first new
  // token, and a fully cached context has none left over: feed at least one.
  keep = Math.min(keep, target.length - 1);
  return { keep, feed: target.slice(keep), erase: keep < cached.length };
}
