import { EngineDecorator } from '../ports/engine-decorator';
import type { Engine, EngineChunk, EngineRequest } from '../ports/engine';

/** Records the size of each chunk an engine yields (to see how a transport batches them); `onChunk` may pause the stream. */
export class ChunkRecordingEngineSpy extends EngineDecorator {
  readonly chunkSizes: number[] = [];
  constructor(
    inner: Engine,
    private readonly onChunk: (request: EngineRequest, index: number) => Promise<void> = async () => undefined,
  ) {
    super(inner);
  }
  async *generate(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    let index = 0;
    for await (const chunk of this.inner.generate(request, signal)) {
      this.chunkSizes.push(chunk.tokens.length);
      await this.onChunk(request, index);
      index += 1;
      yield chunk;
    }
  }
}
