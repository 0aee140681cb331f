import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { acceptedBy, decodeProto, encodeProto, isNoRespondersStatus, withAckRequest, type TraceHeaders, toNatsHeaders } from '@relayllm/nats-transport';
import { LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { CancelledReason, RelayError, UnavailableReason } from '@relayllm/relay-core';

/** How one attempt of a relay call ended: the worker's reply, or a failure (and the worker it was on, when known). */
export type RelayOutcome = { ok: true; reply: LlmGenerateReply } | { ok: false; error: RelayError; workerId: string | undefined };

export interface PendingRelayOptions {
  nc: NatsConnection;
  subject: string;
  wire: LlmGenerateRequest;
  traceHeaders: TraceHeaders | undefined;
  /** The worker the attempt was sent to (undefined: the queue group picks). */
  workerId: string | undefined;
  timeoutMs: number;
  /** How long to wait for the worker's ack (undefined: only the attempt's own bound). */
  ackMs: number | undefined;
  /** Tells the attempt when a worker stops heartbeating or leaves (returns the unsubscribe). */
  watchWorkers: ((gone: (workerId: string) => void) => () => void) | undefined;
  /** Publishes the cancel of the call (after a failure or an abort of a sent attempt). */
  cancel(): void;
}

/**
 * One request/reply on NATS: publish with an inbox, then wait for the first
 * of: the reply, the worker's ack (the ack deadline no longer applies), the
 * ack deadline, the attempt timeout, the worker leaving, no responders, the
 * caller's abort. Never rejects; always cleans up (timers, subscription,
 * listeners) and cancels a sent attempt that did not answer.
 */
export class PendingRelay {
  private readonly cleanups: (() => void)[] = [];
  private subscription: Subscription | undefined;
  private published = false;
  private settled = false;
  private resolve: (outcome: RelayOutcome) => void = () => undefined;
  private workerId: string | undefined;
  private ackTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PendingRelayOptions) {
    this.workerId = options.workerId;
  }

  /** Publishes the request; resolves with the outcome. `onSent` runs right after the publish. */
  run(signal: AbortSignal, onSent: () => void): Promise<RelayOutcome> {
    const outcome = new Promise<RelayOutcome>((resolve) => (this.resolve = resolve));
    this.arm(signal);
    if (signal.aborted) this.abort();
    else this.publish(onSent);
    return outcome;
  }

  /** The worker that took the attempt (the routed one, or the one that acked). */
  get worker(): string | undefined {
    return this.workerId;
  }

  private arm(signal: AbortSignal): void {
    const { timeoutMs, ackMs, subject, watchWorkers } = this.options;
    const onAbort = (): void => this.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.cleanups.push(() => signal.removeEventListener('abort', onAbort));
    this.timer(timeoutMs, () => this.fail(UnavailableReason.LLM_ATTEMPT_TIMEOUT, `no reply from ${this.workerId ?? 'the queue group'} within ${timeoutMs} ms`));
    // Until a worker acks, a lost request would otherwise wait the whole attempt: nothing else reports it.
    if (ackMs !== undefined) this.ackTimer = this.timer(ackMs, () => this.fail(UnavailableReason.LLM_ACK_TIMEOUT, `no LLM worker acknowledged the request on ${subject} within ${ackMs} ms`));
    if (watchWorkers !== undefined) {
      this.cleanups.push(
        watchWorkers((gone) => {
          if (gone === this.workerId) this.fail(UnavailableReason.LLM_WORKER_GONE, `LLM worker ${gone} went away during the relay`);
        }),
      );
    }
  }

  private timer(ms: number, fire: () => void): NodeJS.Timeout {
    const timer = setTimeout(fire, ms);
    this.cleanups.push(() => clearTimeout(timer));
    return timer;
  }

  private publish(onSent: () => void): void {
    const { nc, subject, wire, traceHeaders } = this.options;
    try {
      const inbox = createInbox();
      this.subscription = nc.subscribe(inbox, { max: 2, callback: (error, msg) => (error === null ? this.onMessage(msg) : this.fail(UnavailableReason.LLM_NO_RESPONDERS, error.message)) });
      nc.publish(subject, encodeProto(LlmGenerateRequest, wire), { reply: inbox, headers: withAckRequest(toNatsHeaders(traceHeaders)) });
      this.published = true;
      onSent();
    } catch (error) {
      this.fail(UnavailableReason.LLM_NO_RESPONDERS, `could not send the relay request: ${String(error)}`);
    }
  }

  private onMessage(msg: Msg): void {
    if (isNoRespondersStatus(msg)) return this.fail(UnavailableReason.LLM_NO_RESPONDERS, `no LLM worker listens on ${this.options.subject}`);
    const ackBy = acceptedBy(msg);
    if (ackBy !== undefined) {
      this.workerId = ackBy;
      clearTimeout(this.ackTimer);
      return;
    }
    try {
      this.settle({ ok: true, reply: decodeProto(LlmGenerateReply, msg.data, 'LlmGenerateReply') });
    } catch (error) {
      this.settle({ ok: false, error: RelayError.unavailable(UnavailableReason.LLM_REPLY_INVALID, 'unreadable LLM reply', { cause: error }), workerId: this.workerId });
    }
  }

  private fail(reason: UnavailableReason, message: string): void {
    this.settle({ ok: false, error: RelayError.unavailable(reason, message), workerId: this.workerId });
  }

  private abort(): void {
    this.settle({ ok: false, error: RelayError.cancelled(CancelledReason.RELAY_ABORTED, 'relay aborted'), workerId: this.workerId });
  }

  private settle(outcome: RelayOutcome): void {
    if (this.settled) return;
    this.settled = true;
    for (const cleanup of this.cleanups) cleanup();
    this.subscription?.unsubscribe();
    if (!outcome.ok && this.published) this.options.cancel();
    this.resolve(outcome);
  }
}
