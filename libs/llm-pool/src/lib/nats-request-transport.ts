import { valueWithin } from '@relayllm/bounded-waits';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  brokerLinkOf,
  encodeProto,
  generationOf,
  llmCancelSubject,
  llmGenerateSubject,
  llmWorkerSubject,
  replyToChunks,
  toLlmGenerateRequest,
  type BrokerLink,
  type LiveWorker,
  type TraceHeaders,
  type WorkerChange,
} from '@relayllm/nats-transport';
import { LlmCancel, WorkerKind, type LlmGenerateReply } from '@relayllm/proto';
import { ackTimeoutMs, attemptTimeoutMs, type Attempt, type Exhaustion, type WorkerCandidates, type WorkerRoute, type WorkerTransport } from '@relayllm/relay-cluster';
import { RelayError, ResourceExhaustedReason, UnavailableReason, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';
import { cutReplyBlame, DEFAULT_RIDE_THROUGH, type RideThroughPolicy } from './broker-blame';
import { brokerDown, cutShort, isCutShort, isStaleSend, pause, workerFailure } from './send-outcomes';
import { PendingRelay } from './pending-relay';

/** Live workers (WorkerRegistry satisfies it). */
export interface LiveWorkerSource {
  live(kind: WorkerKind, model: string): LiveWorker[];
  onChange(listener: (change: WorkerChange) => void): () => void;
}

/** Where a generation's prefix lives (relay-cluster's LlmAffinity satisfies it). Failures count as no preference. */
export interface LlmAffinityPort {
  preferredWorker(generationId: string, promptText: string): Promise<string | undefined>;
  recordWorker(generationId: string, promptText: string, workerId: string): Promise<void>;
}

/** One finished relay, for metrics and tests. */
export interface LlmRelayOutcome {
  generationId: string;
  callIndex: number;
  workerId: string;
  attempts: number;
  route: WorkerRoute;
  reusedPrefixTokens: number;
  evaluatedTokens: number;
}

/** An attempt's identity, for the route and publish hooks. */
export interface LlmAttemptEvent {
  generationId: string;
  callIndex: number;
  attempt: number;
  route: WorkerRoute;
}

/** Default ack deadline: far above a live worker's admission time, far below the attempt timeout. */
export const DEFAULT_LLM_ACK_TIMEOUT_MS = 2_000;

export interface NatsRequestTransportOptions {
  nc: NatsConnection;
  model: string;
  /** Live workers; without it every call goes to the queue group. */
  workers?: LiveWorkerSource;
  /**
   * Whether the model's queue group may be used (default: always). The
   * broker picks any subscriber, so the orchestrator says false while a live
   * worker of the model is refused (its model disagrees with the pool's):
   * then every attempt names one of `workers`.
   */
  queueGroupUsable?: () => boolean;
  affinity?: LlmAffinityPort;
  /** How long one attempt waits for its reply (default 30 s); also the worker's time limit for it. */
  attemptTimeoutMs?: number;
  /**
   * How long an attempt waits for the worker's early ack (default
   * DEFAULT_LLM_ACK_TIMEOUT_MS; 0 = no ack deadline): a missing ack means the
   * request was lost (its worker died after NATS delivered it), so it is
   * reissued then, not after the whole attempt timeout.
   */
  ackTimeoutMs?: number;
  /** How NATS outages are ridden through (default DEFAULT_RIDE_THROUGH; see broker-blame). */
  rideThrough?: RideThroughPolicy;
  /** Bound on the affinity lookup (default 250 ms): a slow store means no affinity, not a slow relay. */
  affinityLookupTimeoutMs?: number;
  /** Trace context for a call's NATS headers. */
  traceHeaders?: (request: EngineRequest) => TraceHeaders | undefined;
  onRelay?: (outcome: LlmRelayOutcome) => void;
  /** Told right after each attempt was published (the publish stage of a handoff). */
  onAttempt?: (attempt: LlmAttemptEvent) => void;
}

/**
 * The LLM's transport: each attempt of a relay call is one NATS request to a
 * worker's own subject (or the model's queue group when the broker picks),
 * answered once with the whole output (n is small). Abort publishes an
 * LlmCancel. Choosing the worker and reissuing are the skeleton's; riding
 * through a NATS outage is this transport's own (the skeleton never sees it).
 */
export class NatsRequestTransport implements WorkerTransport {
  readonly fullAllowed = false;

  private readonly broker: BrokerLink;
  private readonly ride: RideThroughPolicy;

  constructor(private readonly options: NatsRequestTransportOptions) {
    this.broker = brokerLinkOf(options.nc);
    this.ride = options.rideThrough ?? DEFAULT_RIDE_THROUGH;
  }

  /** The broker may pick the worker (the queue group), unless the host says a subscriber there must not serve. */
  get anyAllowed(): boolean {
    return this.options.queueGroupUsable?.() ?? true;
  }

  async candidates(request: EngineRequest, signal: AbortSignal): Promise<WorkerCandidates> {
    const { workers, model } = this.options;
    return { live: () => workers?.live(WorkerKind.WORKER_KIND_LLM, model) ?? [], preferred: await this.preferredWorker(request, signal) };
  }

  async *send(attempt: Attempt, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const { request, route } = attempt;
    const event: LlmAttemptEvent = { generationId: generationOf(request), callIndex: request.turn, attempt: attempt.number, route };
    const reply = await this.rideThrough(attempt, event, signal);
    if (reply === undefined) return;
    if (reply.error !== undefined) throw workerFailure(reply.error);
    this.answered(reply, event, request);
    yield* replyToChunks(reply);
  }

  /**
   * Sends the attempt until a worker answers or fails it (its reply, or
   * undefined once aborted). What the broker loses (see broker-blame) is sent
   * again once the link is up, as the same attempt: an outage burns neither
   * the ack deadline nor the attempt budget, only the call's time (its
   * deadline, else one attempt timeout), then LLM_BROKER_DOWN. Each send gets
   * a fresh attempt timeout cut to the deadline; replies come whole and only
   * the first settles, so no token is repeated or lost.
   */
  private async rideThrough(attempt: Attempt, event: LlmAttemptEvent, signal: AbortSignal): Promise<LlmGenerateReply | undefined> {
    const perAttemptMs = this.options.attemptTimeoutMs ?? 30_000;
    const startedAt = Date.now();
    const deadlineAt = attempt.timeLeftMs === undefined ? undefined : startedAt + attempt.timeLeftMs;
    const rideUntil = deadlineAt ?? startedAt + perAttemptMs;
    const first = this.broker.view();
    let lost: string | undefined;
    for (let sends = 0; ; sends++) {
      const up = await this.broker.whenConnected(rideUntil - Date.now(), signal);
      if (signal.aborted) return undefined;
      if (!up || (sends > 0 && Date.now() >= rideUntil)) throw brokerDown(lost ?? 'the NATS link is down', Date.now() - startedAt);
      // At least 1 ms: 0 on the wire means "no limit" to the worker, the opposite of a deadline just reached.
      const pending = this.pending(attempt, Math.max(1, attemptTimeoutMs(Date.now(), perAttemptMs, deadlineAt)), sends + 1);
      // One publish hook per attempt (the handoff's publish stage), however often the broker made it send again.
      const outcome = await pending.run(signal, () => sends === 0 && this.options.onAttempt?.(event));
      attempt.workerId = outcome.kind === 'reply' ? outcome.reply.workerId || pending.worker : (outcome.workerId ?? attempt.workerId);
      if (signal.aborted) return undefined;
      if (outcome.kind === 'failed') throw outcome.error;
      if (outcome.kind === 'reply') {
        const stale = isStaleSend(outcome.reply);
        if (!isCutShort(outcome.reply) && !stale) return outcome.reply;
        const blame = cutReplyBlame(this.broker.view(), { atMs: startedAt, disconnects: first.disconnects });
        if (blame === 'worker') {
          if (stale) return outcome.reply; // its error is the attempt's failure (reissuable)
          throw cutShort(outcome.reply);
        }
      }
      lost = outcome.kind === 'broker' ? outcome.why : 'a late duplicate of the request met another send of it on the worker';
      // Link up but the workers not back yet: a short pause; link down: whenConnected waits.
      if (this.broker.view().connected) await pause(this.ride.retryDelayMs, signal);
    }
  }

  private pending(attempt: Attempt, timeoutMs: number, send: number): PendingRelay {
    const { request, route } = attempt;
    return new PendingRelay({
      nc: this.options.nc,
      broker: this.broker,
      ride: this.ride,
      subject: route.kind === 'worker' ? llmWorkerSubject(this.options.model, route.workerId) : llmGenerateSubject(this.options.model),
      wire: toLlmGenerateRequest(request, { model: this.options.model, attempt: attempt.number, send, timeoutMs }),
      traceHeaders: this.options.traceHeaders?.(request),
      workerId: attempt.workerId,
      timeoutMs,
      ackMs: ackTimeoutMs(timeoutMs, this.options.ackTimeoutMs ?? DEFAULT_LLM_ACK_TIMEOUT_MS),
      watchWorkers: this.watchWorkers(),
      cancel: () => this.publishCancel(request),
    });
  }

  exhausted({ last, allFull }: Exhaustion): RelayError {
    if (allFull && last !== undefined) return RelayError.resourceExhausted(ResourceExhaustedReason.WORKERS_BUSY, 'every LLM worker tried was full', { cause: last });
    return last ?? RelayError.unavailable(UnavailableReason.LLM_NO_RESPONDERS, 'no LLM attempt was made');
  }

  onCapacityChange(listener: () => void): () => void {
    return this.options.workers?.onChange(() => listener()) ?? (() => undefined);
  }

  /** Nothing to connect: the NATS connection belongs to the host. */
  async start(): Promise<void> {
    // the host owns the connection
  }

  /** Workers keep a generation's KV cache until they need the sequence; nothing to tell them. */
  release(): void {
    // nothing kept here
  }

  /** Nothing to release: the connection belongs to the host. */
  async close(): Promise<void> {
    // the host owns the connection
  }

  /** The call was answered: the worker now holds the generation's prefix (affinity), and the hooks are told. */
  private answered(reply: LlmGenerateReply, event: LlmAttemptEvent, request: EngineRequest): void {
    if (reply.workerId !== '') {
      void this.options.affinity?.recordWorker(event.generationId, request.context.text, reply.workerId).catch(() => undefined);
    }
    this.options.onRelay?.({
      generationId: event.generationId,
      callIndex: event.callIndex,
      workerId: reply.workerId,
      attempts: event.attempt,
      route: event.route,
      reusedPrefixTokens: reply.reusedPrefixTokens,
      evaluatedTokens: reply.evaluatedTokens,
    });
  }

  private watchWorkers(): ((gone: (change: WorkerChange) => void) => () => void) | undefined {
    const workers = this.options.workers;
    if (workers === undefined) return undefined;
    return (gone) =>
      workers.onChange((change: WorkerChange) => {
        if (change.type === 'expired' || change.type === 'left') gone(change);
      });
  }

  private publishCancel(request: EngineRequest): void {
    try {
      this.options.nc.publish(llmCancelSubject(this.options.model, generationOf(request)), encodeProto(LlmCancel, { sequenceId: request.sequenceId, turn: request.turn }));
    } catch {
      // Closed connection: the worker's own time limit for the attempt still stops it.
    }
  }

  private async preferredWorker(request: EngineRequest, signal: AbortSignal): Promise<string | undefined> {
    const affinity = this.options.affinity;
    if (affinity === undefined || signal.aborted) return undefined;
    return valueWithin(affinity.preferredWorker(generationOf(request), request.context.text), this.options.affinityLookupTimeoutMs ?? 250);
  }
}
