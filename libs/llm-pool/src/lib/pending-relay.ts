import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import {
  acceptedBy,
  decodeProto,
  encodeProto,
  isNoRespondersStatus,
  toNatsHeaders,
  withAckRequest,
  type BrokerLinkPort,
  type TraceHeaders,
  type WorkerChange,
} from '@relayllm/nats-transport';
import { LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { CancelledReason, RelayError, UnavailableReason } from '@relayllm/relay-core';
import { ackDeadlineVerdict, noRespondersBlame, workerExpiryBlame, type RideThroughPolicy, type SentMark } from './broker-blame';

/**
 * How one send of an attempt ended: the worker's reply; a failure (and the
 * worker it was on, when known); or `broker`: NATS lost it (the link dropped,
 * or the workers were not back yet), so it is sent again once the link is up.
 */
export type RelayOutcome =
  | { kind: 'reply'; reply: LlmGenerateReply }
  | { kind: 'failed'; error: RelayError; workerId: string | undefined }
  | { kind: 'broker'; why: string; workerId: string | undefined };

export interface PendingRelayOptions {
  nc: NatsConnection;
  /** The state of `nc`'s link (brokerLinkOf). */
  broker: BrokerLinkPort;
  ride: RideThroughPolicy;
  subject: string;
  wire: LlmGenerateRequest;
  traceHeaders: TraceHeaders | undefined;
  /** The worker the attempt was sent to (undefined: the queue group picks). */
  workerId: string | undefined;
  timeoutMs: number;
  /** How long to wait for the worker's ack (undefined: only the attempt's own bound). */
  ackMs: number | undefined;
  /** Tells the attempt when a worker expires or leaves (returns the unsubscribe). */
  watchWorkers: ((gone: (change: WorkerChange) => void) => () => void) | undefined;
  /** Publishes the cancel of the call (after a failure or an abort of a sent attempt). */
  cancel(): void;
}

/**
 * One request/reply on NATS: publish with an inbox, then wait for the first
 * of: the reply, the worker's ack (the ack deadline no longer applies), the
 * ack deadline, the attempt timeout, the worker leaving, no responders, the
 * link dropping, the caller's abort. What the broker explains (see
 * broker-blame) ends as `broker`, never as the worker's failure. Never
 * rejects; always cleans up (timers, subscription, listeners) and cancels a
 * sent attempt that failed (not one the broker lost: nothing reaches the
 * worker while the link is down, and the resend supersedes it there).
 */
export class PendingRelay {
  private readonly cleanups: (() => void)[] = [];
  private subscription: Subscription | undefined;
  private sent: SentMark | undefined;
  /** Where the current ack window started (the send, then each restart): trouble before it is already forgiven. */
  private ackWindow: SentMark | undefined;
  private settled = false;
  private resolve: (outcome: RelayOutcome) => void = () => undefined;
  private workerId: string | undefined;
  private acked = false;
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
    const { timeoutMs, watchWorkers, broker } = this.options;
    const onAbort = (): void => this.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    this.cleanups.push(() => signal.removeEventListener('abort', onAbort));
    this.timer(timeoutMs, () => this.fail(UnavailableReason.LLM_ATTEMPT_TIMEOUT, `no reply from ${this.workerId ?? 'the queue group'} within ${timeoutMs} ms`));
    this.armAckDeadline();
    this.cleanups.push(
      broker.onEvent((event) => {
        if (event.type === 'disconnect' || event.type === 'close') this.brokerLost(`the NATS link ${event.type === 'close' ? 'closed' : 'dropped'} before the reply`);
      }),
    );
    if (watchWorkers !== undefined) this.cleanups.push(watchWorkers((change) => this.onWorkerGone(change)));
  }

  /** Until a worker acks, a lost request would otherwise wait the whole attempt: nothing else reports it. */
  private armAckDeadline(): void {
    const { ackMs } = this.options;
    if (ackMs === undefined || this.acked) return;
    clearTimeout(this.ackTimer);
    this.ackTimer = this.timer(ackMs, () => void this.onAckDeadline(ackMs));
  }

  private async onAckDeadline(ackMs: number): Promise<void> {
    const { broker, ride } = this.options;
    const window = this.ackWindow;
    if (window === undefined) return;
    let verdict = ackDeadlineVerdict(broker.view(), window, ride);
    if (verdict === 'probe') {
      const rttMs = await broker.probe();
      // A probe cut by a dropped link: the disconnect settles the attempt.
      if (rttMs === undefined || this.settled || this.acked) return;
      verdict = ackDeadlineVerdict(broker.view(), window, ride, rttMs);
    }
    if (verdict === 'wait') {
      const view = broker.view();
      this.ackWindow = { atMs: view.nowMs, disconnects: view.disconnects };
      this.armAckDeadline();
    } else this.fail(UnavailableReason.LLM_ACK_TIMEOUT, `no LLM worker acknowledged the request on ${this.options.subject} within ${ackMs} ms`);
  }

  private onWorkerGone(change: WorkerChange): void {
    if (change.worker.workerId !== this.workerId) return;
    // A worker that only went quiet because the broker did keeps the attempt: its resend or its ack decides.
    if (change.type === 'expired' && workerExpiryBlame(this.options.broker.view(), change.worker.lastSeenMs) === 'broker') return;
    this.fail(UnavailableReason.LLM_WORKER_GONE, `LLM worker ${change.worker.workerId} went away during the relay`);
  }

  private timer(ms: number, fire: () => void): NodeJS.Timeout {
    const timer = setTimeout(fire, ms);
    this.cleanups.push(() => clearTimeout(timer));
    return timer;
  }

  private publish(onSent: () => void): void {
    const { nc, broker, subject, wire, traceHeaders } = this.options;
    const view = broker.view();
    // The client would buffer it and drop the buffer at its next reconnect attempt.
    if (!view.connected) return this.brokerLost('the NATS link is down');
    try {
      const inbox = createInbox();
      this.subscription = nc.subscribe(inbox, { callback: (error, msg) => (error === null ? this.onMessage(msg) : this.fail(UnavailableReason.LLM_NO_RESPONDERS, error.message)) });
      nc.publish(subject, encodeProto(LlmGenerateRequest, wire), { reply: inbox, headers: withAckRequest(toNatsHeaders(traceHeaders)) });
      this.sent = { atMs: view.nowMs, disconnects: view.disconnects };
      this.ackWindow = this.sent;
      onSent();
    } catch (error) {
      this.fail(UnavailableReason.LLM_NO_RESPONDERS, `could not send the relay request: ${String(error)}`);
    }
  }

  private onMessage(msg: Msg): void {
    if (isNoRespondersStatus(msg)) return this.onNoResponders();
    const ackBy = acceptedBy(msg);
    if (ackBy !== undefined) {
      this.workerId = ackBy;
      this.acked = true;
      clearTimeout(this.ackTimer);
      return;
    }
    try {
      this.settle({ kind: 'reply', reply: decodeProto(LlmGenerateReply, msg.data, 'LlmGenerateReply') });
    } catch (error) {
      this.settle({ kind: 'failed', error: RelayError.unavailable(UnavailableReason.LLM_REPLY_INVALID, 'unreadable LLM reply', { cause: error }), workerId: this.workerId });
    }
  }

  private onNoResponders(): void {
    const { broker, ride, subject } = this.options;
    if (this.sent !== undefined && noRespondersBlame(broker.view(), this.sent, ride) === 'broker') {
      return this.brokerLost(`no LLM worker listens on ${subject} yet (the NATS link just came back)`);
    }
    this.fail(UnavailableReason.LLM_NO_RESPONDERS, `no LLM worker listens on ${subject}`);
  }

  private fail(reason: UnavailableReason, message: string): void {
    this.settle({ kind: 'failed', error: RelayError.unavailable(reason, message), workerId: this.workerId });
  }

  private brokerLost(why: string): void {
    this.settle({ kind: 'broker', why, workerId: this.workerId });
  }

  private abort(): void {
    this.settle({ kind: 'failed', error: RelayError.cancelled(CancelledReason.RELAY_ABORTED, 'relay aborted'), workerId: this.workerId });
  }

  private settle(outcome: RelayOutcome): void {
    if (this.settled) return;
    this.settled = true;
    for (const cleanup of this.cleanups) cleanup();
    this.subscription?.unsubscribe();
    if (outcome.kind === 'failed' && this.sent !== undefined) this.options.cancel();
    this.resolve(outcome);
  }
}
