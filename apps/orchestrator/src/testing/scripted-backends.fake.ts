import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { referenceModels, type EngineChunk, type RelayError, type RelayModels } from '@relayllm/relay-core';
import type { OrchestratorBackends } from '../app/backends';

/**
 * TEST DOUBLE: backends over relay-core's ScriptedEngine (text mode). The SLM
 * replays `slmOutputs` in order; the LLM pool replays `llmOutputs`. `capacity`
 * is the SLM slots it reports; `gate` (when set) holds every SLM stream until
 * it resolves, so specs can keep generations running. The models are the
 * reference pair's, described at once unless `models` is a pending promise
 * (workers not heard yet).
 */
export class ScriptedBackends implements OrchestratorBackends {
  readonly slm: ScriptedEngine;
  readonly llm: ScriptedEngine;
  capacity: number;
  gate: Promise<void> | undefined;
  models: Promise<RelayModels> = Promise.resolve(referenceModels());
  /** What unreachable() answers (set it, then setCapacity(), to stage an outage). */
  outage: RelayError | undefined;
  closed = 0;
  private readonly listeners = new Set<() => void>();

  constructor(slmOutputs: string[], llmOutputs: string[], capacity = 4) {
    const slm = new ScriptedEngine(slmOutputs, { mode: 'text' });
    const generate = slm.generate.bind(slm);
    slm.generate = (request, signal) => this.gated(generate(request, signal), signal);
    this.slm = slm;
    this.llm = new ScriptedEngine(llmOutputs, { mode: 'text' });
    this.capacity = capacity;
  }

  slmCapacity(): number {
    return this.capacity;
  }

  onCapacityChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  unreachable(): RelayError | undefined {
    return this.outage;
  }

  /** The NATS link of scripted backends: always up (no broker). */
  readonly broker = { connected: (): boolean => true, onChange: (): (() => void) => () => undefined };

  setCapacity(capacity: number): void {
    this.capacity = capacity;
    for (const listener of this.listeners) listener();
  }

  describedModels(): Promise<RelayModels> {
    return this.models;
  }

  async close(): Promise<void> {
    this.closed += 1;
  }

  private async *gated(stream: AsyncIterable<EngineChunk>, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    if (this.gate !== undefined) {
      await Promise.race([this.gate, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
    }
    yield* stream;
  }
}
