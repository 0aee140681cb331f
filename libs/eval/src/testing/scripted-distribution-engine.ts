import { BYTE_LEVEL_TOKEN_IDS, type Engine, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';

/**
 * An SLM that writes one scripted turn per request ([id, top probability] per token, the rest of each distribution
 * spread evenly over 260 ids), or the same turn at every request (`ofText`); it keeps the requests it got.
 */
export class ScriptedDistributionEngine implements Engine {
  readonly requests: EngineRequest[] = [];
  constructor(
    private readonly turns: [number, number][][],
    private readonly withDistributions = true,
    private readonly replay = false,
  ) {}
  /** `text` one byte id per chunk at every request, each with the given top probability (1 past the list). */
  static ofText(text: string, tops: number[], withDistributions = true): ScriptedDistributionEngine {
    return new ScriptedDistributionEngine([[...Buffer.from(text)].map((id, i) => [id, tops[i] ?? 1])], withDistributions, true);
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  release(): void {
    // keeps nothing per sequence
  }
  async *generate(req: EngineRequest): AsyncGenerator<EngineChunk & { distributions?: Float64Array[] }> {
    const turn = (this.replay ? this.turns[0] : this.turns[this.requests.length]) ?? [];
    this.requests.push(req);
    const texts: Record<number, string> = { [BYTE_LEVEL_TOKEN_IDS.CALL]: '<call>', [BYTE_LEVEL_TOKEN_IDS.END_CALL]: '</call>', [BYTE_LEVEL_TOKEN_IDS.EOS]: '' };
    for (const [id, top] of turn) {
      const dist = new Float64Array(260).fill((1 - top) / 259);
      dist[id] = top;
      yield { tokens: [id], text: texts[id] ?? String.fromCharCode(id), ...(this.withDistributions ? { distributions: [dist] } : {}) };
    }
  }
}
