import { CancelledReason, InvalidArgumentReason, isRelayError, ResourceExhaustedReason, RelayError } from '@relayllm/relay-core';

export interface AdmissionQueueOptions {
  /**
   * Generations allowed to run at once, read again on every admission and
   * release (e.g. the live workers' free capacity, or a configured bound).
   * Values below 0 count as 0.
   */
  maxConcurrent: number | (() => number);
  /** Requests allowed to wait; one more is refused at once (resource_exhausted). */
  maxQueued: number;
}

/** Held while a generation runs; release() is idempotent. */
export interface AdmissionPermit {
  release(): void;
}

interface Waiter {
  admit: (permit: AdmissionPermit) => void;
  reject: (error: RelayError) => void;
  detach: () => void;
}

/**
 * Admission control for one orchestrator: at most `maxConcurrent`
 * generations run; the others wait in a bounded FIFO. Pure: no timers; a
 * wait ends when the caller's `signal` aborts (cancel / deadline: cancelled),
 * when `waitLimit` aborts (the host's queue-wait bound: resource_exhausted
 * ADMISSION_WAIT_EXPIRED, or the RelayError it aborts with), or when a
 * permit frees up. A full queue answers
 * resource_exhausted ADMISSION_QUEUE_FULL at once.
 *
 * Outage is not overload: while the host declares one (no worker of a role
 * reachable past its grace, see OutageWatch) every waiter and every new
 * request gets the outage's own error (unavailable) at once instead of
 * waiting for a slot that cannot come.
 */
export class AdmissionQueue {
  private active = 0;
  private readonly waiters: Waiter[] = [];
  private outage: RelayError | undefined;

  constructor(private readonly options: AdmissionQueueOptions) {
    if (!Number.isInteger(options.maxQueued) || options.maxQueued < 0) {
      throw RelayError.invalidArgument(InvalidArgumentReason.ADMISSION_LIMIT_RANGE, 'maxQueued must be a non-negative integer', 'maxQueued');
    }
  }

  stats(): { active: number; queued: number; limit: number } {
    return { active: this.active, queued: this.waiters.length, limit: this.limit() };
  }

  acquire(signal: AbortSignal, waitLimit?: AbortSignal): Promise<AdmissionPermit> {
    if (signal.aborted) return Promise.reject(cancelledWhileQueued());
    if (this.outage !== undefined) return Promise.reject(this.outage);
    if (this.waiters.length === 0 && this.active < this.limit()) return Promise.resolve(this.grant());
    if (this.waiters.length >= this.options.maxQueued) {
      return Promise.reject(
        RelayError.resourceExhausted(ResourceExhaustedReason.ADMISSION_QUEUE_FULL,
          `all ${this.active} generation slots are busy and ${this.waiters.length} requests already wait`,
        ),
      );
    }
    if (waitLimit?.aborted) return Promise.reject(isRelayError(waitLimit.reason) ? waitLimit.reason : waitExpired());
    return new Promise<AdmissionPermit>((resolve, reject) => {
      const onAbort = (): void => leave(cancelledWhileQueued());
      // A host whose bound ends for another cause (an outage it rode out for too long) says so in the abort reason.
      const onWaitLimit = (): void => leave(isRelayError(waitLimit?.reason) ? waitLimit.reason : waitExpired());
      const waiter: Waiter = {
        admit: resolve,
        reject,
        detach: () => {
          signal.removeEventListener('abort', onAbort);
          waitLimit?.removeEventListener('abort', onWaitLimit);
        },
      };
      const leave = (error: RelayError): void => {
        const index = this.waiters.indexOf(waiter);
        if (index < 0) return;
        this.waiters.splice(index, 1);
        waiter.detach();
        reject(error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      waitLimit?.addEventListener('abort', onWaitLimit, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * The host declares an outage (`error`: why no worker can take a
   * generation) or its end (undefined). While declared, waiters and new
   * requests get `error`; running generations keep their permits.
   */
  setOutage(error: RelayError | undefined): void {
    this.outage = error;
    if (error === undefined) return this.admitWaiting();
    for (const waiter of this.waiters.splice(0)) {
      waiter.detach();
      waiter.reject(error);
    }
  }

  /** Call when capacity may have grown (a worker joined): admits waiters that now fit. */
  capacityChanged(): void {
    this.admitWaiting();
  }

  private limit(): number {
    const { maxConcurrent } = this.options;
    return Math.max(0, typeof maxConcurrent === 'function' ? maxConcurrent() : maxConcurrent);
  }

  private grant(): AdmissionPermit {
    this.active += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.active -= 1;
        this.admitWaiting();
      },
    };
  }

  private admitWaiting(): void {
    while (this.waiters.length > 0 && this.active < this.limit()) {
      const waiter = this.waiters.shift() as Waiter;
      waiter.detach();
      waiter.admit(this.grant());
    }
  }
}

function cancelledWhileQueued(): RelayError {
  return RelayError.cancelled(CancelledReason.ADMISSION_CANCELLED, 'the request was cancelled while waiting for a generation slot');
}

function waitExpired(): RelayError {
  return RelayError.resourceExhausted(ResourceExhaustedReason.ADMISSION_WAIT_EXPIRED, 'no generation slot became free within the queue wait limit');
}
