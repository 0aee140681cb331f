import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { type Engine, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';

/**
 * TEST DOUBLE. Requests on a blocking sequence (every sequence unless
 * `blockingSequences` is given) stream one token ('1', with a prefill note)
 * and then nothing until their signal aborts (a long relay); the others get
 * `37` + EOS from a ScriptedEngine. Records requests and signals.
 */
export class BlockingEngineFake implements Engine {
  readonly requests: EngineRequest[] = [];
  readonly signals: AbortSignal[] = [];
  private readonly scripted = new ScriptedEngine(Array.from({ length: 100 }, () => '37</s>'));

  constructor(private readonly blockingSequences?: ReadonlySet<string>) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  release(): void {
    // keeps nothing per sequence
  }

  async *generate(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    this.requests.push(request);
    this.signals.push(signal);
    if (this.blockingSequences !== undefined && !this.blockingSequences.has(request.sequenceId)) {
      yield* this.scripted.generate(request, signal);
      return;
    }
    yield { tokens: [49], text: '1', prefill: { reusedTokens: 0, evaluatedTokens: 5 } } as EngineChunk;
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  }
}
