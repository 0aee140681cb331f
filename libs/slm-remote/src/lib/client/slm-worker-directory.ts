/** A live SLM worker as the orchestrator knows it (from heartbeats, or configured). */
export interface SlmWorkerInfo {
  workerId: string;
  /** gRPC host:port of its SlmWorkerService. */
  address: string;
  /** Streams (generations) it serves at once. */
  maxSequences: number;
  /** Streams it reported as open at its last heartbeat. */
  activeSequences: number;
}

/**
 * Where RemoteSlmEngine finds workers. The orchestrator backs it with the NATS
 * WorkerRegistry (libs/nats-transport: live SLM workers of its model); tests
 * use StaticSlmWorkerDirectory.
 */
export interface SlmWorkerDirectory {
  liveWorkers(): readonly SlmWorkerInfo[];
}

/** A fixed (but editable) list of workers. */
export class StaticSlmWorkerDirectory implements SlmWorkerDirectory {
  private workers: SlmWorkerInfo[];

  constructor(workers: readonly SlmWorkerInfo[]) {
    this.workers = [...workers];
  }

  liveWorkers(): readonly SlmWorkerInfo[] {
    return this.workers;
  }

  set(workers: readonly SlmWorkerInfo[]): void {
    this.workers = [...workers];
  }

  remove(workerId: string): void {
    this.workers = this.workers.filter((w) => w.workerId !== workerId);
  }
}

/**
 * The worker for a new stream: not excluded (it already failed this
 * generate), fewest streams in use relative to its capacity (in use = the
 * larger of what it announced and what this client has open on it, since
 * announcements lag), ties broken by id so the choice is deterministic. A
 * worker that looks full is still chosen when all do: the worker itself
 * answers RESOURCE_EXHAUSTED, and the caller tries the next one.
 */
export function chooseSlmWorker(
  workers: readonly SlmWorkerInfo[],
  openHere: ReadonlyMap<string, number>,
  excluded: ReadonlySet<string>,
): SlmWorkerInfo | undefined {
  let best: { worker: SlmWorkerInfo; load: number } | undefined;
  for (const worker of workers) {
    if (excluded.has(worker.workerId) || worker.address === '') continue;
    const inUse = Math.max(worker.activeSequences, openHere.get(worker.workerId) ?? 0);
    const load = inUse / Math.max(1, worker.maxSequences);
    if (best === undefined || load < best.load || (load === best.load && worker.workerId < best.worker.workerId)) {
      best = { worker, load };
    }
  }
  return best?.worker;
}
