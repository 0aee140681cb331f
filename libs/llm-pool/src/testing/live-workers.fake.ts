import type { LiveWorker, WorkerChange } from '@relayllm/nats-transport';
import { WorkerKind } from '@relayllm/proto';
import type { LiveWorkerSource } from '../lib/nats-request-transport';

/** TEST DOUBLE: a worker list set by the spec, with changes emitted on demand. */
export class LiveWorkersFake implements LiveWorkerSource {
  private workers: LiveWorker[] = [];
  private readonly listeners = new Set<(change: WorkerChange) => void>();

  set(workers: { workerId: string; activeSequences?: number; maxSequences?: number; model?: string }[]): void {
    this.workers = workers.map((w) => ({
      workerId: w.workerId,
      kind: WorkerKind.WORKER_KIND_LLM,
      model: w.model ?? 'llm',
      address: '',
      maxSequences: w.maxSequences ?? 2,
      activeSequences: w.activeSequences ?? 0,
      intervalMs: 1_000,
      descriptionHash: '',
      lastSeenMs: 0,
    }));
  }

  live(kind: WorkerKind, model: string): LiveWorker[] {
    return this.workers.filter((w) => w.kind === kind && w.model === model);
  }

  onChange(listener: (change: WorkerChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Removes the worker and tells the listeners it expired. */
  expire(workerId: string): void {
    const worker = this.workers.find((w) => w.workerId === workerId);
    if (worker === undefined) return;
    this.workers = this.workers.filter((w) => w !== worker);
    for (const listener of [...this.listeners]) listener({ type: 'expired', worker });
  }
}
