import type { NatsConnection } from '@nats-io/nats-core';
import {
  encodeProto,
  generationOf,
  llmCancelSubject,
  llmGenerateSubject,
  llmWorkerSubject,
  replyToChunks,
  toLlmGenerateRequest,
  type LiveWorker,
  type TraceHeaders,
  type WorkerChange,
} from '@relayllm/nats-transport';
import { LlmCancel, WorkerKind, type LlmGenerateReply, type WorkerError } from '@relayllm/proto';
import { ackTimeoutMs, attemptTimeoutMs, type Attempt, type Exhaustion, type WorkerCandidates, type WorkerRoute, type WorkerTransport } from '@relayllm/relay-cluster';
import { RelayError, ResourceExhaustedReason, UnavailableReason, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';
import { fromWorkerError } from '@relayllm/worker-protocol';
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
  /** Bound on the affinity lookup (default 250 ms): a slow store means no affinity, not a slow relay. */
  affinityLookupTimeoutMs?: number;
  /** Trace context for a call's NATS headers. */
  traceHeaders?: (request: EngineRequest) => TraceHeaders | undefined;
  onRelay?: (outcome: LlmRelayOutcome) => void;
  /** Told right after each attempt was published (the publish stage of a handoff). */
  onAttempt?: (attempt: LlmAttemptEvent) => void;
}

/**
 * A worker's error reply as the attempt's failure. The worker's time limit is
 * this attempt's, so a worker-side deadline_exceeded is an attempt timeout,
 * reissued like one; every other kind is kept.
 */
function workerFailure(error: WorkerError): RelayError {
  const relayError = fromWorkerError(error);
  if (relayError.kind !== 'deadline_exceeded') return relayError;
  return RelayError.unavailable(UnavailableReason.LLM_ATTEMPT_TIMEOUT, 'the worker reached the attempt deadline', { cause: relayError });
}

/**
 * The LLM's transport: each attempt of a relay call is one NATS request to a
 * worker's own subject (or the model's queue group when the broker picks),
 * answered once with the whole output (n is small). Abort publishes an
 * LlmCancel. Choosing the worker and reissuing are the skeleton's.
 */
export class NatsRequestTransport implements WorkerTransport {
  readonly fullAllowed = false;

  constructor(private readonly options: NatsRequestTransportOptions) {}

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
    const timeoutMs = attemptTimeoutMs(0, this.options.attemptTimeoutMs ?? 30_000, attempt.timeLeftMs);
    const event: LlmAttemptEvent = { generationId: generationOf(request), callIndex: request.turn, attempt: attempt.number, route };
    const pending = new PendingRelay({
      nc: this.options.nc,
      subject: route.kind === 'worker' ? llmWorkerSubject(this.options.model, route.workerId) : llmGenerateSubject(this.options.model),
      wire: toLlmGenerateRequest(request, { model: this.options.model, attempt: attempt.number, timeoutMs }),
      traceHeaders: this.options.traceHeaders?.(request),
      workerId: attempt.workerId,
      timeoutMs,
      ackMs: ackTimeoutMs(timeoutMs, this.options.ackTimeoutMs ?? DEFAULT_LLM_ACK_TIMEOUT_MS),
      watchWorkers: this.watchWorkers(),
      cancel: () => this.publishCancel(request),
    });
    const outcome = await pending.run(signal, () => this.options.onAttempt?.(event));
    attempt.workerId = outcome.ok ? outcome.reply.workerId || pending.worker : (outcome.workerId ?? attempt.workerId);
    if (signal.aborted) return;
    if (!outcome.ok) throw outcome.error;
    if (outcome.reply.error !== undefined) throw workerFailure(outcome.reply.error);
    this.answered(outcome.reply, event, request);
    yield* replyToChunks(outcome.reply);
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

  private watchWorkers(): ((gone: (workerId: string) => void) => () => void) | undefined {
    const workers = this.options.workers;
    if (workers === undefined) return undefined;
    return (gone) =>
      workers.onChange((change: WorkerChange) => {
        if (change.type === 'expired' || change.type === 'left') gone(change.worker.workerId);
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
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        affinity.preferredWorker(generationOf(request), request.context.text),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), this.options.affinityLookupTimeoutMs ?? 250))),
      ]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
