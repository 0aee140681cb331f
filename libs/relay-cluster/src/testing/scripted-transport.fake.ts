import { RelayError, ResourceExhaustedReason, UnavailableReason, type EngineChunk } from '@relayllm/relay-core';
import type { Attempt, Exhaustion, WorkerCandidates, WorkerTransport } from '../remote/remote-engine';
import type { WorkerLoad } from '../remote/worker-choice';

/** What one attempt does: yield these texts (one token each), then fail with `error` or finish. */
export interface ScriptedAttempt {
  texts?: readonly string[];
  error?: RelayError;
  /** The worker that took a broker-routed attempt. */
  takenBy?: string;
}

/**
 * TEST DOUBLE: a worker transport whose attempts follow a script, in order,
 * recording each attempt (route, request) it was asked to send.
 */
export class ScriptedTransportFake implements WorkerTransport {
  readonly attempts: Attempt[] = [];
  readonly released: string[] = [];
  workers: WorkerLoad[];
  preferred: string | undefined;
  private readonly listeners = new Set<(freedSlots?: number) => void>();

  constructor(
    workers: readonly WorkerLoad[],
    private readonly script: ScriptedAttempt[],
    readonly anyAllowed = false,
    readonly fullAllowed = true,
  ) {
    this.workers = [...workers];
  }

  async candidates(): Promise<WorkerCandidates> {
    return { live: () => this.workers, preferred: this.preferred };
  }

  async *send(attempt: Attempt): AsyncGenerator<EngineChunk> {
    this.attempts.push({ ...attempt });
    const step = this.script.shift() ?? {};
    if (step.takenBy !== undefined) attempt.workerId = step.takenBy;
    for (const text of step.texts ?? []) {
      await Promise.resolve();
      yield { tokens: [], text, tokenCount: 1 };
    }
    if (step.error !== undefined) throw step.error;
    yield { tokens: [], text: '', finish: 'eos' };
  }

  /** As the real transports: overload is resource_exhausted, anything else unavailable. */
  exhausted(exhaustion: Exhaustion): RelayError {
    const message = `${exhaustion.noWorker ? 'no worker left' : 'attempts ran out'} (all full: ${exhaustion.allFull})`;
    if (exhaustion.allFull) return RelayError.resourceExhausted(ResourceExhaustedReason.WORKERS_BUSY, message, { cause: exhaustion.last });
    return RelayError.unavailable(UnavailableReason.NO_SLM_WORKER, message, { cause: exhaustion.last });
  }

  onCapacityChange(listener: (freedSlots?: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells waiting generates that capacity changed (`freedSlots` of them wake; undefined: all). */
  capacityChanged(freedSlots?: number): void {
    for (const listener of [...this.listeners]) listener(freedSlots);
  }

  async start(): Promise<void> {
    // nothing to connect
  }

  release(sequenceId: string): void {
    this.released.push(sequenceId);
  }

  async close(): Promise<void> {
    // nothing to close
  }
}
