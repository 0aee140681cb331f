import type { Clock } from '@relayllm/relay-core';

export interface TokenQuotaOptions {
  /** Tokens a key may spend per window (> 0). */
  tokensPerWindow: number;
  /** Window length in ms (default 60 000: tokens per minute). */
  windowMs?: number;
  /** Keys tracked at once; the least recently used one is forgotten beyond (bounded memory). Default 10 000. */
  maxKeys?: number;
}

interface Bucket {
  /** Tokens left, refilled continuously at tokensPerWindow / windowMs. */
  tokens: number;
  at: number;
}

export interface QuotaDecision {
  admitted: boolean;
  /** Tokens left now (may be negative after a generation overspent). */
  remaining: number;
  /** When admitted is false: ms until the bucket is positive again. */
  retryAfterMs: number;
}

/**
 * Per-key token bucket for LLM tokens per minute. A generation's LLM token
 * count is only known at its end, so the check is "admit while the bucket is
 * positive" and the spend is charged afterwards (`charge`), which may take the
 * bucket below zero: the key then waits until the refill pays the debt back.
 * Pure (injected Clock), no timers; memory bounded by `maxKeys`.
 */
export class TokenQuota {
  private readonly buckets = new Map<string, Bucket>();
  private readonly capacity: number;
  private readonly windowMs: number;
  private readonly maxKeys: number;

  constructor(
    options: TokenQuotaOptions,
    private readonly clock: Clock,
  ) {
    if (!(options.tokensPerWindow > 0)) throw new RangeError('tokensPerWindow must be > 0');
    this.capacity = options.tokensPerWindow;
    this.windowMs = options.windowMs ?? 60_000;
    if (!(this.windowMs > 0)) throw new RangeError('windowMs must be > 0');
    this.maxKeys = options.maxKeys ?? 10_000;
  }

  /** May this key start a generation now? */
  admit(key: string): QuotaDecision {
    const bucket = this.refilled(key);
    if (bucket.tokens > 0) return { admitted: true, remaining: bucket.tokens, retryAfterMs: 0 };
    const perMs = this.capacity / this.windowMs;
    return { admitted: false, remaining: bucket.tokens, retryAfterMs: Math.ceil((-bucket.tokens + 1) / perMs) };
  }

  /** Charges LLM tokens a generation of this key used (negative or non-finite counts are ignored). */
  charge(key: string, tokens: number): void {
    if (!Number.isFinite(tokens) || tokens <= 0) return;
    const bucket = this.refilled(key);
    bucket.tokens -= tokens;
  }

  private refilled(key: string): Bucket {
    const now = this.clock.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: this.capacity, at: now };
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
    } else {
      this.buckets.delete(key); // re-inserted below: Map order = recency
      const elapsed = Math.max(0, now - bucket.at);
      bucket.tokens = Math.min(this.capacity, bucket.tokens + (elapsed * this.capacity) / this.windowMs);
      bucket.at = now;
    }
    this.buckets.set(key, bucket);
    return bucket;
  }
}
