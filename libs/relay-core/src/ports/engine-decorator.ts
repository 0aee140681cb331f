import type { Engine, EngineChunk, EngineRequest } from './engine';

/**
 * An engine that changes or observes another's streams and is otherwise that
 * engine: start, release and close go to the inner engine. Every wrapper of
 * an engine (caching, recording, tracing, eval policies) extends it, so the
 * host always holds a plain Engine and nothing it needs is lost behind a
 * wrapper.
 */
export abstract class EngineDecorator implements Engine {
  constructor(protected readonly inner: Engine) {}

  start(): Promise<void> {
    return this.inner.start();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  release(sequenceId: string): void {
    this.inner.release(sequenceId);
  }

  abstract generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk>;
}
