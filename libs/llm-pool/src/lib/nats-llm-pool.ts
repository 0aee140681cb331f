import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import {
  acceptedBy,
  decodeProto,
  encodeProto,
  generationOf,
  isNoRespondersStatus,
  llmCancelSubject,
  llmGenerateSubject,
  llmWorkerSubject,
  replyToChunks,
  toLlmGenerateRequest,
  toNatsHeaders,
  withAckRequest,
  type LiveWorker,
  type TraceHeaders,
  type WorkerChange,
} from '@relayllm/nats-transport';
import { fromWorkerError } from '@relayllm/worker-protocol';
import { LlmCancel, LlmGenerateReply, LlmGenerateRequest, WorkerKind, type WorkerError } from '@relayllm/proto';
import { chooseLlmRoute, isReissuableLlmFailure, llmAckTimeoutMs, llmAttemptTimeoutMs, type LlmRoute } from '@relayllm/relay-cluster';
import {
  CancelledReason,
  DeadlineExceededReason,
  RelayError,
  ResourceExhaustedReason,
  SystemClock,
  UnavailableReason,
  type Clock,
  type EngineChunk,
  type Engine,
  type EngineRequest,
} from '@relayllm/relay-core';

/** Live workers (WorkerRegistry satisfies it). */
export interface LiveWorkerSource {
  live(kind: WorkerKind, model: string): LiveWorker[];
  onChange(listener: (change: WorkerChange) => void): () => void;
}

/** Where a generation's prefix lives (relay-core's LlmAffinity satisfies it). Failures count as no preference. */
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
  route: LlmRoute;
  reusedPrefixTokens: number;
  evaluatedTokens: number;
}

export interface NatsLlmPoolOptions {
  nc: NatsConnection;
  model: string;
  /** Live workers; without it every call goes to the queue group. */
  workers?: LiveWorkerSource;
  affinity?: LlmAffinityPort;
  /** Attempts per call, reissues included (default 3). */
  maxAttempts?: number;
  /** How long one attempt waits for its reply (default 30 s); also the worker's deadline for it. */
  attemptTimeoutMs?: number;
  /**
   * How long an attempt waits for the worker's early ack (default
   * DEFAULT_LLM_ACK_TIMEOUT_MS; 0 = no ack deadline). Workers ack as soon as
   * they admit a request, so a missing ack means the request was lost (its
   * worker died after NATS delivered it): the attempt is reissued then, not
   * after the whole attempt timeout. Only applies when shorter than the
   * attempt's own bound; once acked, the attempt timeout and the liveness
   * check apply.
   */
  ackTimeoutMs?: number;
  /** Bound on the affinity lookup (default 250 ms): a slow store means no affinity, not a slow relay. */
  affinityLookupTimeoutMs?: number;
  /**
   * The call's absolute deadline (Unix ms), when the host knows it (e.g. the
   * client's gRPC deadline): each attempt waits min(attempt timeout, time left)
   * and no attempt starts after it (deadline_exceeded).
   */
  deadline?: (request: EngineRequest) => number | undefined;
  /** Trace context for a call's NATS headers (issue #6 fills it). */
  traceHeaders?: (request: EngineRequest) => TraceHeaders | undefined;
  onRelay?: (outcome: LlmRelayOutcome) => void;
  /**
   * Told when an attempt's route is chosen, before its request is encoded and
   * published (issue #6: the route and publish stages of a handoff).
   */
  onRoute?: (attempt: { generationId: string; callIndex: number; attempt: number; route: LlmRoute }) => void;
  /** Told right after each attempt was sent (metrics, tests). */
  onAttempt?: (attempt: { generationId: string; callIndex: number; attempt: number; route: LlmRoute }) => void;
  clock?: Clock;
}

/**
 * A worker's error reply as the pool's failure. The worker's deadline is this
 * attempt's (the pool sets it per attempt), so a worker-side deadline_exceeded
 * is an attempt timeout, reissued like one; every other kind is kept.
 */
function workerFailure(error: WorkerError): RelayError {
  const relayError = fromWorkerError(error);
  if (relayError.kind !== 'deadline_exceeded') return relayError;
  return RelayError.unavailable(UnavailableReason.LLM_ATTEMPT_TIMEOUT, 'the worker reached the attempt deadline', { cause: relayError });
}

/** Default ack deadline: far above a live worker's admission time, far below the attempt timeout. */
export const DEFAULT_LLM_ACK_TIMEOUT_MS = 2_000;

type AttemptResult = { ok: true; reply: LlmGenerateReply } | { ok: false; error: RelayError; workerId?: string };

/**
 * LlmPool over NATS: each relay call is a request to one LLM worker (its own
 * subject when the generation has a live, non-full affinity worker, else the
 * model's queue group), answered once with the whole output. Failures that
 * another worker can fix (no responders, no ack in time, timeout, worker gone,
 * WORKER_FULL, engine failure) are reissued as a fresh request, same context and n,
 * nothing having been received, on another worker, at most `maxAttempts` in
 * all. Abort publishes an LlmCancel and ends the stream at once.
 */
export class NatsLlmPool implements Engine {
  private readonly clock: Clock;
  private readonly maxAttempts: number;
  private readonly attemptTimeoutMs: number;
  private readonly ackTimeoutMs: number;

  constructor(private readonly options: NatsLlmPoolOptions) {
    this.clock = options.clock ?? new SystemClock();
    this.maxAttempts = options.maxAttempts ?? 3;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_LLM_ACK_TIMEOUT_MS;
  }

  /** Nothing to connect: the NATS connection belongs to the host. */
  async start(): Promise<void> {
    // the host owns the connection
  }

  /** Nothing to release: the connection belongs to the host. */
  async close(): Promise<void> {
    // the host owns the connection
  }

  /** Workers keep a generation's KV cache until they need the sequence; nothing to tell them. */
  release(): void {
    // nothing kept here
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.run(request, signal);
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const { model, workers } = this.options;
    const affinityWorkerId = await this.preferredWorker(request, signal);
    const exclude = new Set<string>();
    let lastError: RelayError | undefined;
    let allFull = true;
    const deadline = this.options.deadline?.(request);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (signal.aborted) return;
      const timeoutMs = llmAttemptTimeoutMs(this.clock.now(), this.attemptTimeoutMs, deadline);
      if (timeoutMs <= 0) throw RelayError.deadlineExceeded(DeadlineExceededReason.LLM_CALL_DEADLINE, 'the relay call reached its deadline', { cause: lastError });
      const route = chooseLlmRoute({ affinityWorkerId, live: workers?.live(WorkerKind.WORKER_KIND_LLM, model) ?? [], exclude, attempt });
      this.options.onRoute?.({ generationId: generationOf(request), callIndex: request.turn, attempt, route });
      const result = await this.attempt(request, route, attempt, timeoutMs, signal);
      if (signal.aborted) return;
      if (result.ok) {
        const { reply } = result;
        if (reply.error === undefined) {
          this.recordWorker(request, reply.workerId);
          this.options.onRelay?.({
            generationId: generationOf(request),
            callIndex: request.turn,
            workerId: reply.workerId,
            attempts: attempt,
            route,
            reusedPrefixTokens: reply.reusedPrefixTokens,
            evaluatedTokens: reply.evaluatedTokens,
          });
          yield* replyToChunks(reply);
          return;
        }
        lastError = workerFailure(reply.error);
        if (reply.workerId !== '') exclude.add(reply.workerId);
      } else {
        lastError = result.error;
        if (result.workerId !== undefined) exclude.add(result.workerId);
      }
      if (lastError === undefined || !isReissuableLlmFailure(lastError.kind)) throw lastError;
      if (lastError.kind !== 'resource_exhausted') allFull = false;
    }
    if (allFull) {
      throw RelayError.resourceExhausted(ResourceExhaustedReason.WORKERS_BUSY, `every LLM worker tried was full (${this.maxAttempts} attempts)`, { cause: lastError });
    }
    throw lastError ?? RelayError.unavailable(UnavailableReason.LLM_NO_RESPONDERS, 'no LLM attempt was made');
  }

  /** One request/reply on `route`; resolves (never rejects) with the reply or a reissue-able failure. */
  private attempt(request: EngineRequest, route: LlmRoute, attempt: number, timeoutMs: number, signal: AbortSignal): Promise<AttemptResult> {
    const { nc, model, workers } = this.options;
    const subject = route.kind === 'worker' ? llmWorkerSubject(model, route.workerId) : llmGenerateSubject(model);
    const wire = toLlmGenerateRequest(request, { model, attempt, timeoutMs });
    return new Promise<AttemptResult>((resolve) => {
      let runningOn: string | undefined = route.kind === 'worker' ? route.workerId : undefined;
      let sub: Subscription | undefined;
      let published = false;
      const cleanups: (() => void)[] = [];
      let settled = false;
      const settle = (result: AttemptResult | 'aborted'): void => {
        if (settled) return;
        settled = true;
        for (const cleanup of cleanups) cleanup();
        sub?.unsubscribe();
        if (result === 'aborted' || !result.ok) {
          if (published) this.publishCancel(request);
        }
        resolve(result === 'aborted' ? { ok: false, error: RelayError.cancelled(CancelledReason.RELAY_ABORTED, 'relay aborted') } : result);
      };
      const fail = (reason: UnavailableReason, message: string): void =>
        settle({ ok: false, error: RelayError.unavailable(reason, message), workerId: runningOn });

      const onAbort = (): void => settle('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
      const timer = setTimeout(() => fail(UnavailableReason.LLM_ATTEMPT_TIMEOUT, `no reply from ${runningOn ?? 'the queue group'} within ${timeoutMs} ms`), timeoutMs);
      cleanups.push(() => clearTimeout(timer));
      // Until a worker acks, a lost request would otherwise wait the whole attempt: nothing else reports it.
      const ackMs = llmAckTimeoutMs(timeoutMs, this.ackTimeoutMs);
      const ackTimer =
        ackMs === undefined ? undefined : setTimeout(() => fail(UnavailableReason.LLM_ACK_TIMEOUT, `no LLM worker acknowledged the request on ${subject} within ${ackMs} ms`), ackMs);
      cleanups.push(() => clearTimeout(ackTimer));
      if (workers !== undefined) {
        cleanups.push(
          workers.onChange((change) => {
            if ((change.type === 'expired' || change.type === 'left') && change.worker.workerId === runningOn) {
              fail(UnavailableReason.LLM_WORKER_GONE, `LLM worker ${runningOn} went away during the relay`);
            }
          }),
        );
      }
      if (signal.aborted) return settle('aborted');
      try {
        const inbox = createInbox();
        sub = this.options.nc.subscribe(inbox, {
          max: 2,
          callback: (error, msg) => {
            if (error !== null) return fail(UnavailableReason.LLM_NO_RESPONDERS, error.message);
            this.onMessage(msg, {
              ack: (workerId) => {
                runningOn = workerId;
                clearTimeout(ackTimer);
              },
              noResponders: () => fail(UnavailableReason.LLM_NO_RESPONDERS, `no LLM worker listens on ${subject}`),
              reply: (reply) => settle({ ok: true, reply }),
              invalid: (error) => settle({ ok: false, error, workerId: runningOn }),
            });
          },
        });
        nc.publish(subject, encodeProto(LlmGenerateRequest, wire), {
          reply: inbox,
          headers: withAckRequest(toNatsHeaders(this.options.traceHeaders?.(request))),
        });
        published = true;
        this.options.onAttempt?.({ generationId: generationOf(request), callIndex: request.turn, attempt, route });
      } catch (error) {
        fail(UnavailableReason.LLM_NO_RESPONDERS, `could not send the relay request: ${String(error)}`);
      }
    });
  }

  private onMessage(
    msg: Msg,
    on: { ack(workerId: string): void; noResponders(): void; reply(reply: LlmGenerateReply): void; invalid(error: RelayError): void },
  ): void {
    if (isNoRespondersStatus(msg)) return on.noResponders();
    const ackBy = acceptedBy(msg);
    if (ackBy !== undefined) return on.ack(ackBy);
    try {
      on.reply(decodeProto(LlmGenerateReply, msg.data, 'LlmGenerateReply'));
    } catch (error) {
      on.invalid(RelayError.unavailable(UnavailableReason.LLM_REPLY_INVALID, 'unreadable LLM reply', { cause: error }));
    }
  }

  private publishCancel(request: EngineRequest): void {
    try {
      this.options.nc.publish(
        llmCancelSubject(this.options.model, generationOf(request)),
        encodeProto(LlmCancel, { sequenceId: request.sequenceId, turn: request.turn }),
      );
    } catch {
      // Closed connection: the worker's own deadline for the attempt still stops it.
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

  private recordWorker(request: EngineRequest, workerId: string): void {
    if (workerId === '') return;
    void this.options.affinity?.recordWorker(generationOf(request), request.context.text, workerId).catch(() => undefined);
  }
}
