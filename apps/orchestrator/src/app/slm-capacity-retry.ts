import {
  UnavailableReason,
  chunkTokenCount,
  isRelayError,
  type Engine,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';
import { replayRequest } from '@relayllm/slm-remote';

export interface SlmCapacityRetryOptions {
  /** Longest time one generate keeps retrying for a free SLM slot (default 10 s). */
  maxWaitMs?: number;
  /** Pause between tries (default 100 ms), cut short by a capacity change. */
  retryDelayMs?: number;
  /** Bound on retries per generate (default 100). */
  maxRetries?: number;
  /** Called when capacity may have changed (a worker joined or reported load). */
  onCapacityChange?: (listener: () => void) => () => void;
  now?: () => number;
}

/**
 * Failures that mean "no SLM slot right now", not "this generation is bad":
 * every worker full or gone (a worker was just killed and the survivors are
 * at capacity, or the registry still lists the dead one).
 */
export function isSlmCapacityFailure(error: unknown): boolean {
  if (!isRelayError(error)) return false;
  if (error.kind === 'resource_exhausted') return true;
  return error.kind === 'unavailable' && (error.reason === UnavailableReason.NO_SLM_WORKER || error.reason === UnavailableReason.SLM_STREAM_FAILED);
}

/**
 * SLM Engine decorator for the orchestrator: RemoteSlmEngine fails over
 * across the live workers at once, which is not enough when a worker dies
 * while the others are full — the displaced generations must wait for a
 * slot, not fail. On a capacity failure this waits (bounded: `maxWaitMs`,
 * `maxRetries`, the caller's signal) and continues the generate from what it
 * already passed on (context + yielded tokens, maxTokens reduced: each token
 * exactly once, as RemoteSlmEngine's own failover does).
 */
export class CapacityRetryingSlmEngine implements Engine {
  private readonly maxWaitMs: number;
  private readonly retryDelayMs: number;
  private readonly maxRetries: number;
  private readonly now: () => number;
  retries = 0;

  constructor(
    private readonly inner: Engine,
    private readonly options: SlmCapacityRetryOptions = {},
  ) {
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.maxRetries = options.maxRetries ?? 100;
    this.now = options.now ?? Date.now;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  release(sequenceId: string): void {
    this.inner.release(sequenceId);
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.run(request, signal);
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const yielded = { text: '', tokens: [] as number[], count: 0, idsKnown: true };
    const startedAt = this.now();
    let current = request;
    for (let retry = 0; ; retry += 1) {
      try {
        for await (const chunk of this.inner.generate(current, signal)) {
          yielded.text += chunk.text;
          yielded.count += chunkTokenCount(chunk);
          if (chunk.tokens.length === 0 && chunk.text !== '') yielded.idsKnown = false;
          yielded.tokens.push(...chunk.tokens);
          yield chunk;
        }
        return;
      } catch (error) {
        const waited = this.now() - startedAt;
        if (signal.aborted || !isSlmCapacityFailure(error) || retry >= this.maxRetries || waited >= this.maxWaitMs) throw error;
        this.retries += 1;
        await this.pause(Math.min(this.retryDelayMs, this.maxWaitMs - waited), signal);
        if (signal.aborted) return;
        current = replayRequest(request, yielded);
        if (current.maxTokens < 1) {
          yield { tokens: [], text: '', finish: 'length' };
          return;
        }
      }
    }
  }

  /** Sleeps `ms`, less when capacity changes or the caller aborts. */
  private pause(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let unsubscribe = (): void => undefined;
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      if (this.options.onCapacityChange !== undefined) {
        const off = this.options.onCapacityChange(done);
        unsubscribe = () => void off();
      }
    });
  }
}
