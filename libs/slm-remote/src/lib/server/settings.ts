import type { Engine } from '@relayllm/relay-core';

/** How a worker serves Decode streams (the slm-worker app fills it from its config). */
export interface SlmStreamSettings {
  /** The started SLM engine; sequenceId of each generate = the stream's generation id. */
  engine: Engine;
  /** Streams served at once (one per generation); one more is refused with RESOURCE_EXHAUSTED. */
  maxStreams: number;
  /** A frame is sent once it holds this many tokens (also the most tokens per frame). */
  flushTokens: number;
  /** ...or once its first token has waited this long. */
  flushMs: number;
  /** A stream with no frame and no running generate for this long is ended. */
  idleTimeoutMs: number;
  /** How long a stopped generate may take to give its sequence back before the stream stops waiting for it. */
  abortGraceMs: number;
  /**
   * Runs the engine's generate() call inside the caller's trace context (the
   * slm-worker app extracts the W3C headers). Default: runs it as is.
   */
  runInTraceContext?: <T>(traceContext: Readonly<Record<string, string>>, start: () => T) => T;
}

export const DEFAULT_SLM_STREAM_SETTINGS = {
  flushTokens: 16,
  flushMs: 4,
  idleTimeoutMs: 120_000,
  abortGraceMs: 5_000,
} as const;
