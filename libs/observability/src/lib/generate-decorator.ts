import { EngineDecorator, type Engine, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';

/** An engine whose generate() is observed by a wrapper (a span, metrics); the rest is the inner engine's. */
export class GenerateDecorator extends EngineDecorator {
  constructor(
    inner: Engine,
    private readonly generateWith: (request: EngineRequest, signal: AbortSignal) => AsyncIterable<EngineChunk>,
  ) {
    super(inner);
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.generateWith(request, signal);
  }
}
