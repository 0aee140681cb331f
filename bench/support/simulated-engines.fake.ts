import { InternalReason, InvalidArgumentReason, RelayError, type Engine, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';
import { slmScript, type ScriptToken, type SimulatedGeneration } from './simulated-workload';
import type { VirtualBatchServer } from './virtual-batch-server';

const generationOf = (sequenceId: string): string => sequenceId.replace(/\/(slm|llm)$/, '');

/**
 * TEST DOUBLE. The SLM of the simulated workload: writes each generation's
 * script one token per step of its virtual batch server, continuing where the
 * generation's previous turn stopped (the relay reads up to a command's
 * `</call>`, aborts, and comes back with the LLM's text appended).
 */
export class SimulatedSlmEngine implements Engine {
  private readonly scripts = new Map<string, { tokens: ScriptToken[]; next: number }>();

  constructor(
    private readonly server: VirtualBatchServer,
    generations: readonly SimulatedGeneration[],
  ) {
    for (const g of generations) this.scripts.set(g.id, { tokens: slmScript(g), next: 0 });
  }

  async start(): Promise<void> {
    // nothing to load
  }

  async close(): Promise<void> {
    // nothing to free
  }

  release(): void {
    // keeps nothing per sequence
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.run(request, signal);
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const script = this.scripts.get(generationOf(request.sequenceId));
    if (script === undefined) throw RelayError.invalidArgument(InvalidArgumentReason.GENERATION_ID_INVALID, `no script for ${request.sequenceId}`);
    for (let written = 1; ; written++) {
      if (!(await this.server.nextToken(signal))) return;
      const token = script.tokens[script.next];
      if (token === undefined) throw RelayError.internal(InternalReason.ENGINE_PROTOCOL, `script of ${request.sequenceId} read past its EOS`);
      script.next += 1;
      const finish = token.id === 257 ? 'eos' : written >= request.maxTokens ? 'length' : undefined;
      yield { tokens: [token.id], text: token.text, ...(finish === undefined ? {} : { finish }) };
      if (finish !== undefined) return;
    }
  }
}

/** TEST DOUBLE. The LLM: writes the granted n tokens, one per step of its virtual batch server. */
export class SimulatedLlmEngine implements Engine {
  async start(): Promise<void> {
    // nothing to load
  }

  async close(): Promise<void> {
    // nothing to free
  }

  release(): void {
    // keeps nothing per sequence
  }

  constructor(private readonly server: VirtualBatchServer) {}

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.run(request, signal);
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    for (let written = 1; written <= request.maxTokens; written++) {
      if (!(await this.server.nextToken(signal))) return;
      yield { tokens: [98], text: 'b', ...(written === request.maxTokens ? { finish: 'length' as const } : {}) };
    }
  }
}
