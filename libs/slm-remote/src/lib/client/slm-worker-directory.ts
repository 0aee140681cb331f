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
