import { Empty, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { BaseRpcContext, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import {
  ackHeaders,
  brokerLinkOf,
  decodeProto,
  encodeProto,
  llmCancelWildcard,
  llmErrorReply,
  llmGenerateSubject,
  llmQueueGroup,
  llmWorkerSubject,
  toNatsHeaders,
  traceHeadersFrom,
  wantsAck,
  type BrokerLink,
  type TraceHeaders,
} from '@relayllm/nats-transport';
import { LlmCancel, LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { InternalReason, RelayError } from '@relayllm/relay-core';
import { lastValueFrom } from 'rxjs';
import { DeliveredRequests } from './delivered-requests';
import { LLM_CANCEL_PATTERN, LLM_GENERATE_PATTERN } from './tokens';

/** How long a reply waits for the link when the request named no time limit. */
const UNKNOWN_TIME_LIMIT_MS = 30_000;

/**
 * What a handler can learn about the NATS message it serves: [subject, trace
 * headers, accept]. `accept()` sends the early acknowledgement when the caller
 * asked for one (see libs/nats-transport llm-ack), once.
 */
export class NatsLlmContext extends BaseRpcContext<[string, TraceHeaders, () => void]> {
  getSubject(): string {
    return this.args[0];
  }

  getTraceHeaders(): TraceHeaders {
    return this.args[1];
  }

  accept(): void {
    this.args[2]();
  }
}

export interface NatsLlmServerOptions {
  model: string;
  workerId: string;
}

/**
 * Nest transport strategy over @nats-io/transport-node for one LLM worker:
 * relay requests on the model's queue-group subject and on this worker's own
 * subject (affinity), cancels on the model's cancel wildcard. Payloads are
 * protobuf; each request gets exactly one reply (errors as an `error` reply,
 * never a NATS-level failure), with the caller's trace headers copied back.
 * A reply (or ack) due while the NATS link is down waits for the link, within
 * the request's time limit: the client would drop it at its next reconnect
 * attempt, and a caller that saw no outage still waits on that inbox. A
 * caller that did see one has sent the call again (new inbox, superseding
 * this run here): the late reply then reaches nobody, so no token is doubled.
 * A request message delivered twice (same reply inbox, see DeliveredRequests)
 * is taken once: the copy gets neither ack nor reply.
 */
export class NatsLlmServer extends Server implements CustomTransportStrategy {
  private requestSubscriptions: Subscription[] = [];
  private cancelSubscription: Subscription | undefined;
  private readonly broker: BrokerLink;
  private readonly delivered = new DeliveredRequests();
  private copiesDropped = 0;
  /** Copies are logged at the 1st, 10th, 100th...: a client holding two server connections copies every request until it reconnects. */
  private logCopiesAt = 1;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsLlmServerOptions,
  ) {
    super();
    this.broker = brokerLinkOf(nc);
  }

  listen(callback: (error?: unknown) => void): void {
    const { model, workerId } = this.options;
    const onRequest = (error: Error | null, msg: Msg): void => {
      if (error === null) void this.handleRequest(msg);
    };
    this.requestSubscriptions = [
      this.nc.subscribe(llmGenerateSubject(model), { queue: llmQueueGroup(model), callback: onRequest }),
      this.nc.subscribe(llmWorkerSubject(model, workerId), { callback: onRequest }),
    ];
    this.cancelSubscription = this.nc.subscribe(llmCancelWildcard(model), {
      callback: (error, msg) => {
        if (error === null) void this.handleCancel(msg);
      },
    });
    // Subscribed for real once the server has seen them: only then is the worker reachable.
    this.nc.flush().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Graceful shutdown, step 1: no new requests (queue group and own subject); cancels still arrive. */
  async stopTakingRequests(): Promise<void> {
    const subs = this.requestSubscriptions;
    this.requestSubscriptions = [];
    await Promise.all(subs.map((s) => s.drain().catch(() => undefined)));
  }

  close(): void {
    for (const s of this.requestSubscriptions) s.unsubscribe();
    this.requestSubscriptions = [];
    this.cancelSubscription?.unsubscribe();
    this.cancelSubscription = undefined;
  }

  on(): never {
    throw new Error('NatsLlmServer has no events to listen to');
  }

  unwrap<T>(): T {
    return this.nc as T;
  }

  private async handleRequest(msg: Msg): Promise<void> {
    const receivedAt = Date.now();
    const trace = traceHeadersFrom(msg.headers);
    let reply: LlmGenerateReply;
    let wire: LlmGenerateRequest | undefined;
    try {
      wire = decodeProto(LlmGenerateRequest, msg.data, 'LlmGenerateRequest');
      const untilMs = receivedAt + (wire.request?.timeoutMs || UNKNOWN_TIME_LIMIT_MS);
      if (this.isCopy(msg, untilMs)) return;
      const handler = this.getHandlerByPattern(LLM_GENERATE_PATTERN);
      if (handler === null) throw RelayError.internal(InternalReason.INTERNAL, `no handler for ${LLM_GENERATE_PATTERN}`);
      const context = new NatsLlmContext([msg.subject, trace, this.acceptor(msg, untilMs)]);
      reply = await lastValueFrom(this.transformToObservable(await handler(wire, context)));
    } catch (error) {
      reply = llmErrorReply(error, { workerId: this.options.workerId, wire });
    }
    if (msg.reply === undefined || msg.reply === '') return;
    const timeLeftMs = receivedAt + (wire?.request?.timeoutMs || UNKNOWN_TIME_LIMIT_MS) - Date.now();
    if (!(await this.broker.whenConnected(timeLeftMs))) {
      this.logger.warn?.(`reply to ${msg.subject} dropped: the NATS link stayed down for the rest of its time limit`);
      return;
    }
    try {
      msg.respond(encodeProto(LlmGenerateReply, reply), { headers: toNatsHeaders(trace) });
    } catch (error) {
      // Connection closed meanwhile: the caller's own timeout / reissue covers it.
      this.logger.warn?.(`reply to ${msg.subject} not sent: ${String(error)}`);
    }
  }

  /** A second delivery of a request already taken (its reply inbox was seen): answering it would answer the live send. */
  private isCopy(msg: Msg, untilMs: number): boolean {
    if (msg.reply === undefined || msg.reply === '' || this.delivered.firstDelivery(msg.reply, untilMs)) return false;
    this.copiesDropped += 1;
    if (this.copiesDropped === this.logCopiesAt) {
      this.logCopiesAt *= 10;
      this.logger.warn?.(`dropped ${this.copiesDropped} second deliveries of requests (same reply inbox; the last on ${msg.subject}): NATS delivered them twice`);
    }
    return true;
  }

  /** Sends the ack at most once, only when the caller asked for it (once the link is up: see the class). */
  private acceptor(msg: Msg, untilMs: number): () => void {
    let sent = !wantsAck(msg.headers) || msg.reply === undefined || msg.reply === '';
    const respond = (): void => {
      try {
        msg.respond(Empty, { headers: ackHeaders(this.options.workerId) });
      } catch {
        // Connection closing: the final reply will fail the same way and the caller reissues.
      }
    };
    return () => {
      if (sent) return;
      sent = true;
      if (this.broker.view().connected) respond();
      else void this.broker.whenConnected(untilMs - Date.now()).then((up) => up && respond());
    };
  }

  private async handleCancel(msg: Msg): Promise<void> {
    try {
      const message = decodeProto(LlmCancel, msg.data, 'LlmCancel');
      const handler = this.getHandlerByPattern(LLM_CANCEL_PATTERN);
      await handler?.(message, new NatsLlmContext([msg.subject, traceHeadersFrom(msg.headers), () => undefined]));
    } catch {
      // A malformed cancel is ignored: cancels are best effort, deadlines are the guarantee.
    }
  }
}
