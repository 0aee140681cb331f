import type { RelayError } from '@relayllm/relay-core';

/** A stream as the slot bookkeeping sees it (DecodeConnection). */
export interface SlotHoldingStream {
  readonly worker: { readonly workerId: string };
  /** Calls `listener` once, when the call is over on both ends (the worker freed the slot). */
  onEnded(listener: () => void): void;
  /** Ends the stream now with `error`; its running generate (if any) fails with it. */
  abandon(error: RelayError): void;
}

/**
 * The streams this client holds on each worker, from their opening until
 * their gRPC call is over: a released stream still holds the worker's slot
 * until the worker has seen its half-close. The count is exact (it never
 * lags, unlike a worker's heartbeat), so it says when a worker is full for
 * this client.
 */
export class WorkerStreams {
  private readonly byWorker = new Map<string, Set<SlotHoldingStream>>();

  /** `slotFreed` is told each time a stream's call ends. */
  constructor(private readonly slotFreed: (workerId: string) => void) {}

  add(stream: SlotHoldingStream): void {
    const { workerId } = stream.worker;
    let streams = this.byWorker.get(workerId);
    if (streams === undefined) this.byWorker.set(workerId, (streams = new Set()));
    streams.add(stream);
    stream.onEnded(() => {
      streams.delete(stream);
      if (streams.size === 0 && this.byWorker.get(workerId) === streams) this.byWorker.delete(workerId);
      this.slotFreed(workerId);
    });
  }

  /** Streams holding a slot on `workerId`. */
  count(workerId: string): number {
    return this.byWorker.get(workerId)?.size ?? 0;
  }

  /** Streams holding a slot, per worker id. */
  counts(): Map<string, number> {
    return new Map([...this.byWorker].map(([workerId, streams]) => [workerId, streams.size]));
  }

  /**
   * Ends every stream on a worker that is not in `live` (it left, or its
   * heartbeats stopped: a frozen worker never answers), each with
   * `error(workerId)`, so that its generates fail over like a killed worker's.
   * Returns how many were ended.
   */
  abandonGone(live: ReadonlySet<string>, error: (workerId: string) => RelayError): number {
    let ended = 0;
    for (const [workerId, streams] of [...this.byWorker]) {
      if (live.has(workerId)) continue;
      for (const stream of [...streams]) {
        stream.abandon(error(workerId));
        ended += 1;
      }
    }
    return ended;
  }
}
