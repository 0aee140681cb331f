import { setTimeout as sleep } from 'node:timers/promises';
import type { SpecEngines } from './embedded-fixture';
import { until } from '@relayllm/testing';

/** A moment of a generation: wall time and paced decode steps passed so far. */
export interface StepMark {
  ms: number;
  steps: number;
}

/** Liveness only: how long the engines may take to go idle at all. */
const IDLE_DEADLINE_MS = 5_000;

/**
 * Whether the real engines stopped after a cut (cancel, disconnect,
 * deadline), measured as apps/relayllm/src/cancellation.integration.spec.ts
 * does: with paced engines (ObservedEngine.delayMs), the bound of
 * `stopWithinMs` is also counted in paced steps, and scaled by how much slower
 * than the pace this run's steps actually were, so a loaded machine does not
 * fail it while a cut that reaches the engines late still does.
 */
export class EngineStopProbe {
  constructor(
    private readonly engines: SpecEngines,
    private readonly paceMs: number,
  ) {}

  busy(): number {
    return this.engines.llama.slm.busySequences() + this.engines.llama.llm.busySequences();
  }

  mark(): StepMark {
    return { ms: Date.now(), steps: this.steps() };
  }

  /** Both engines idle, and no token evaluated afterwards, within `stopWithinMs` (scaled) and its paced steps of `cut`. */
  async expectStoppedWithin(start: StepMark, cut: StepMark, stopWithinMs: number): Promise<void> {
    const msPerStep = (cut.ms - start.ms) / Math.max(1, cut.steps - start.steps);
    const slowdown = Math.max(1, msPerStep / this.paceMs);
    await until(() => this.busy() === 0, 'every engine sequence to be released', IDLE_DEADLINE_MS);
    expect(Date.now() - cut.ms).toBeLessThanOrEqual(stopWithinMs * slowdown);
    expect(this.steps() - cut.steps).toBeLessThanOrEqual(stopWithinMs / this.paceMs);
    const evaluatedAtStop = this.evaluated();
    await sleep(50);
    expect(this.evaluated()).toBe(evaluatedAtStop);
    expect(this.busy()).toBe(0);
  }

  private steps(): number {
    return this.engines.slm.passedChunks + this.engines.llm.passedChunks;
  }

  private evaluated(): number {
    return this.engines.llama.slm.evaluatedTokens + this.engines.llama.llm.evaluatedTokens;
  }
}
