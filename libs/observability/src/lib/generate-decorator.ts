import type { Engine, EngineChunk, EngineRequest } from '@relayllm/relay-core';

/**
 * An engine whose generate() is observed by a wrapper: start, release and
 * close stay the inner engine's. The wrapper is typed as the Engine port, so
 * nothing a host reads off the engine is lost behind it.
 */
export class GenerateDecorator implements Engine {
  constructor(
    private readonly inner: Engine,
    private readonly generateWith: (request: EngineRequest, signal: AbortSignal) => AsyncIterable<EngineChunk>,
  ) {}

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
    return this.generateWith(request, signal);
  }
}
