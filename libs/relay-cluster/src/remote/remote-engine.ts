import {
  DeadlineExceededReason,
  isRelayError,
  RelayError,
  SystemClock,
  toEngineError,
  type Clock,
  type Engine,
  type EngineChunk,
  type EngineRequest,
} from '@relayllm/relay-core';
import { CapacityWaiters } from './capacity-waiters';
import { decideRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';
import { chooseWorker, noWorkerCause, type NoWorkerCause, type WorkerLoad, type WorkerRoute } from './worker-choice';
import { replayRequest, YieldedTokens } from './yielded-tokens';

export { replayRequest } from './yielded-tokens';

/** One attempt of a remote generate, as the transport sends it. */
export interface Attempt {
  readonly route: WorkerRoute;
  /** The request, or (after a failure) its replay: the context plus what was yielded, maxTokens reduced. */
  readonly request: EngineRequest;
  /** 1-based, across the whole generate. */
  readonly number: number;
  /** Time left until the call's deadline (`request.deadlineAtMs`; undefined: none) when the attempt starts: a transport tells its worker no more. */
  readonly timeLeftMs: number | undefined;
  /** The worker serving it once known (the routed one, or the one that took a broker-routed attempt): excluded if it fails. */
  workerId: string | undefined;
}

/** The workers a generate may go to, and the one that holds its sequence's state. */
export interface WorkerCandidates {
  /** Read at every attempt (loads change while a generate runs). */
  live(): readonly WorkerLoad[];
  preferred?: string;
  /** The preferred worker holds this generate's slot already (its open stream): it stays there even when full. */
  preferredHoldsSlot?: boolean;
}

/** Why a generate's attempts ran out. */
export interface Exhaustion {
  /** The failure of the last attempt (undefined when no attempt could be made). */
  last: RelayError | undefined;
  /** No worker was left to try. */
  noWorker: boolean;
  /** Overload, not outage: every attempt of the last round found its worker full, or every live worker was full by this client's own count. */
  allFull: boolean;
}

/**
 * How a remote engine reaches its workers: the strategy of the one
 * remote-engine skeleton (SLM: a gRPC stream per generation; LLM: NATS
 * request/reply). Sending is all it does; choosing the worker and deciding
 * what to do after a failure are the skeleton's.
 */
export interface WorkerTransport {
  /** The broker may pick the worker (a queue group), so a first attempt need not name one. */
  readonly anyAllowed: boolean;
  /** A worker that looks full may still be asked (it refuses by itself, and announcements lag). */
  readonly fullAllowed: boolean;
  /** Where a generate may go (a bounded lookup: a slow store means no preference). */
  candidates(request: EngineRequest, signal: AbortSignal): Promise<WorkerCandidates>;
  /** One attempt: its chunks, or a classified RelayError. It stops promptly once `signal` aborts. */
  send(attempt: Attempt, signal: AbortSignal): AsyncIterable<EngineChunk>;
  /** The final error of a generate whose rounds ran out. */
  exhausted(exhaustion: Exhaustion): RelayError;
  /**
   * Calls `listener` when capacity may have changed: with the number of slots
   * freed (a stream ended: 1) so that as many waiting generates wake, or with
   * nothing when unknown (a worker joined, left or reported its load: all wake).
   */
  onCapacityChange(listener: (freedSlots?: number) => void): () => void;
  start(): Promise<void>;
  release(sequenceId: string): void;
  close(): Promise<void>;
}

/** What the skeleton reports (logs, metrics, spans). */
export interface RemoteEngineObserver {
  /** An attempt's worker was chosen, before it is sent. */
  routed(event: { sequenceId: string; turn: number; attempt: number; route: WorkerRoute }): void;
  /** An attempt failed and the rest of the generate goes elsewhere. */
  failedOver(event: { sequenceId: string; workerId: string | undefined; yieldedTokens: number; error: RelayError }): void;
}

export interface RemoteEngineOptions {
  policy?: RetryPolicy;
  observer?: RemoteEngineObserver;
  clock?: Clock;
  /** How long a worker whose attempt failed as unavailable is tried after the others (default 5 s: a dead one's heartbeats lapse by then). */
  suspectMs?: number;
}

/** Where one generate's rounds stand. */
interface RoundState {
  exclude: Set<string>;
  attemptsInRound: number;
  attempts: number;
  waitedMs: number;
  /** Part of waitedMs spent while no worker was live at all. */
  outageWaitedMs: number;
  /** The call's absolute deadline (Unix ms), if known: no wait lasts past it. */
  deadline: number | undefined;
  last: RelayError | undefined;
  allFull: boolean;
}

/**
 * The one remote engine of both roles: choose a worker (pure worker choice)
 * → send through the transport → after a failure ask the one retry policy →
 * reissue with the tokens accumulated so far (each token reaches the caller
 * exactly once; at temperature 0 the output equals an undisturbed run), wait
 * for capacity, or fail.
 */
export class RemoteEngine implements Engine {
  private readonly policy: RetryPolicy;
  private readonly clock: Clock;
  /** Workers whose attempt just failed as unavailable, until when they are tried last. */
  private readonly suspects = new Map<string, number>();
  private readonly waiters = new CapacityWaiters();
  private readonly unsubscribe: () => void;

  constructor(
    protected readonly transport: WorkerTransport,
    private readonly options: RemoteEngineOptions = {},
  ) {
    this.policy = options.policy ?? DEFAULT_RETRY_POLICY;
    this.clock = options.clock ?? new SystemClock();
    if (!Number.isInteger(this.policy.maxAttempts) || this.policy.maxAttempts < 1) throw new RangeError('maxAttempts must be >= 1');
    this.unsubscribe = transport.onCapacityChange((freedSlots) => this.waiters.wake(freedSlots));
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  release(sequenceId: string): void {
    this.transport.release(sequenceId);
  }

  close(): Promise<void> {
    this.unsubscribe();
    this.waiters.wake();
    return this.transport.close();
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.run(request, signal);
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const candidates = await this.transport.candidates(request, signal);
    // The caller's deadline: no attempt starts and no wait lasts past it, and each attempt's worker is told the time left.
    const deadline = request.deadlineAtMs;
    const yielded = new YieldedTokens();
    const state: RoundState = { exclude: new Set(), attemptsInRound: 0, attempts: 0, waitedMs: 0, outageWaitedMs: 0, deadline, last: undefined, allFull: true };
    while (!signal.aborted) {
      const timeLeftMs = deadline === undefined ? undefined : deadline - this.clock.now();
      if (timeLeftMs !== undefined && timeLeftMs <= 0) {
        throw RelayError.deadlineExceeded(DeadlineExceededReason.CALL_DEADLINE, 'the call reached its deadline', { cause: state.last });
      }
      const route = this.choose(candidates, state);
      if (route === undefined) {
        await this.afterNoWorker(noWorkerCause({ live: candidates.live(), exclude: state.exclude }), state, signal);
        continue;
      }
      const current = state.attempts === 0 ? request : replayRequest(request, yielded);
      if (current.maxTokens < 1) {
        yield { tokens: [], text: '', finish: 'length' };
        return;
      }
      const attempt = this.begin(route, current, state, timeLeftMs);
      try {
        for await (const chunk of this.transport.send(attempt, signal)) {
          yielded.add(chunk);
          yield chunk;
          if (chunk.finish !== undefined) return;
        }
        return;
      } catch (error) {
        if (signal.aborted) return;
        await this.afterFailure(error, attempt, state, yielded.count, signal);
      }
    }
  }

  private choose(candidates: WorkerCandidates, state: RoundState): WorkerRoute | undefined {
    const now = this.clock.now();
    for (const [id, until] of this.suspects) if (until <= now) this.suspects.delete(id);
    return chooseWorker({
      live: candidates.live(),
      preferred: candidates.preferred,
      preferredHoldsSlot: candidates.preferredHoldsSlot,
      exclude: state.exclude,
      suspect: new Set(this.suspects.keys()),
      attempt: state.attemptsInRound + 1,
      anyAllowed: this.transport.anyAllowed,
      fullAllowed: this.transport.fullAllowed,
    });
  }

  private begin(route: WorkerRoute, request: EngineRequest, state: RoundState, timeLeftMs: number | undefined): Attempt {
    state.attempts += 1;
    state.attemptsInRound += 1;
    this.options.observer?.routed({ sequenceId: request.sequenceId, turn: request.turn, attempt: state.attempts, route });
    return { route, request, number: state.attempts, timeLeftMs, workerId: route.kind === 'worker' ? route.workerId : undefined };
  }

  /** A failed attempt: reissue elsewhere, wait for capacity, or throw. */
  private async afterFailure(error: unknown, attempt: Attempt, state: RoundState, yieldedTokens: number, signal: AbortSignal): Promise<void> {
    const failure = isRelayError(error) ? error : toEngineError(error, 'remote');
    state.last = failure;
    if (failure.kind !== 'resource_exhausted') state.allFull = false;
    if (attempt.workerId !== undefined) {
      state.exclude.add(attempt.workerId);
      if (failure.kind === 'unavailable') this.suspects.set(attempt.workerId, this.clock.now() + (this.options.suspectMs ?? 5_000));
    }
    // Whether a worker is left shows at the next choice (none: afterNoWorker decides).
    const decision = decideRetry(this.policy, { error: failure, attemptsInRound: state.attemptsInRound, workerLeft: true, waitedMs: state.waitedMs });
    if (decision.action === 'fail') throw decision.exhausted ? this.transport.exhausted({ last: failure, noWorker: false, allFull: state.allFull }) : failure;
    this.options.observer?.failedOver({ sequenceId: attempt.request.sequenceId, workerId: attempt.workerId, yieldedTokens, error: failure });
    if (decision.action === 'wait') await this.waitForCapacity(decision.forMs, state, signal);
  }

  /**
   * No worker left this round: wait for capacity when the policy allows, else
   * throw. Every live worker full (this client's own count, or each one tried
   * refused) is overload; none live is an outage (the transport names both).
   */
  private async afterNoWorker(cause: NoWorkerCause, state: RoundState, signal: AbortSignal): Promise<void> {
    const refusedByAll = cause === 'all-tried' && state.last !== undefined && state.allFull;
    const exhaustion = { last: state.last, noWorker: true, allFull: cause === 'all-full' || refusedByAll };
    const error = state.last ?? this.transport.exhausted(exhaustion);
    const decision = decideRetry(this.policy, {
      error,
      attemptsInRound: state.attemptsInRound,
      workerLeft: false,
      waitedMs: state.waitedMs,
      noWorker: cause,
      outageWaitedMs: state.outageWaitedMs,
    });
    if (decision.action !== 'wait') throw this.transport.exhausted(exhaustion);
    await this.waitForCapacity(decision.forMs, state, signal, cause === 'none-live');
  }

  /** Waits `ms` (cut to the deadline; less when a slot frees or the caller aborts), then starts a new round. */
  private async waitForCapacity(ms: number, state: RoundState, signal: AbortSignal, outage = false): Promise<void> {
    const startedAt = this.clock.now();
    await this.waiters.wait(state.deadline === undefined ? ms : Math.min(ms, state.deadline - startedAt), signal);
    const waited = Math.max(1, this.clock.now() - startedAt);
    state.waitedMs += waited;
    if (outage) state.outageWaitedMs += waited;
    state.exclude.clear();
    state.attemptsInRound = 0;
    state.allFull = true;
  }
}
