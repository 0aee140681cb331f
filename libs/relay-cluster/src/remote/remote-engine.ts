import {
  chunkTokenCount,
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
import { decideRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy';
import { chooseWorker, type WorkerLoad, type WorkerRoute } from './worker-choice';

/** One attempt of a remote generate, as the transport sends it. */
export interface Attempt {
  readonly route: WorkerRoute;
  /** The request, or (after a failure) its replay: the context plus what was yielded, maxTokens reduced. */
  readonly request: EngineRequest;
  /** 1-based, across the whole generate. */
  readonly number: number;
  /** Time left until the call's deadline (undefined: none). */
  readonly timeLeftMs: number | undefined;
  /** The worker serving it once known (the routed one, or the one that took a broker-routed attempt): excluded if it fails. */
  workerId: string | undefined;
}

/** The workers a generate may go to, and the one that holds its sequence's state. */
export interface WorkerCandidates {
  /** Read at every attempt (loads change while a generate runs). */
  live(): readonly WorkerLoad[];
  preferred?: string;
}

/** Why a generate's attempts ran out. */
export interface Exhaustion {
  /** The failure of the last attempt (undefined when no attempt could be made). */
  last: RelayError | undefined;
  /** No worker was left to try. */
  noWorker: boolean;
  /** Every attempt of the last round found its worker full. */
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
  /** Calls `listener` when capacity may have changed (a worker joined, left or reported its load). */
  onCapacityChange(listener: () => void): () => void;
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
  /** The call's absolute deadline (Unix ms) when the host knows it: no attempt starts after it. */
  deadline?: (request: EngineRequest) => number | undefined;
  observer?: RemoteEngineObserver;
  clock?: Clock;
  /** How long a worker whose attempt failed as unavailable is tried after the others (default 5 s: a dead one's heartbeats lapse by then). */
  suspectMs?: number;
}

/** The tokens a generate passed on so far: replayed as context when it moves to another worker. */
class YieldedTokens {
  text = '';
  tokens: number[] = [];
  count = 0;
  idsKnown = true;

  add(chunk: EngineChunk): void {
    this.text += chunk.text;
    this.count += chunkTokenCount(chunk);
    if (chunk.tokens.length === 0 && chunk.text !== '') this.idsKnown = false;
    this.tokens.push(...chunk.tokens);
  }
}

/** The request that continues a generate elsewhere: its context plus what was yielded, from scratch, maxTokens reduced. */
export function replayRequest(request: EngineRequest, yielded: Pick<YieldedTokens, 'text' | 'tokens' | 'count' | 'idsKnown'>): EngineRequest {
  const context: EngineRequest['context'] = { text: request.context.text + yielded.text };
  if (request.context.tokens !== undefined && yielded.idsKnown) context.tokens = [...request.context.tokens, ...yielded.tokens];
  const replay: EngineRequest = { ...request, context, appendOnly: false, maxTokens: request.maxTokens - yielded.count };
  delete replay.appendFrom;
  return replay;
}

/** Where one generate's rounds stand. */
interface RoundState {
  exclude: Set<string>;
  attemptsInRound: number;
  attempts: number;
  waitedMs: number;
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

  constructor(
    protected readonly transport: WorkerTransport,
    private readonly options: RemoteEngineOptions = {},
  ) {
    this.policy = options.policy ?? DEFAULT_RETRY_POLICY;
    this.clock = options.clock ?? new SystemClock();
    if (!Number.isInteger(this.policy.maxAttempts) || this.policy.maxAttempts < 1) throw new RangeError('maxAttempts must be >= 1');
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  release(sequenceId: string): void {
    this.transport.release(sequenceId);
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.run(request, signal);
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    const candidates = await this.transport.candidates(request, signal);
    const deadline = this.options.deadline?.(request);
    const yielded = new YieldedTokens();
    const state: RoundState = { exclude: new Set(), attemptsInRound: 0, attempts: 0, waitedMs: 0, last: undefined, allFull: true };
    while (!signal.aborted) {
      const timeLeftMs = deadline === undefined ? undefined : deadline - this.clock.now();
      if (timeLeftMs !== undefined && timeLeftMs <= 0) {
        throw RelayError.deadlineExceeded(DeadlineExceededReason.CALL_DEADLINE, 'the call reached its deadline', { cause: state.last });
      }
      const route = this.choose(candidates, state);
      if (route === undefined) {
        await this.afterNoWorker(state, signal);
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

  /** No worker left this round: wait for capacity when the policy allows, else throw. */
  private async afterNoWorker(state: RoundState, signal: AbortSignal): Promise<void> {
    const error = state.last ?? this.transport.exhausted({ last: undefined, noWorker: true, allFull: false });
    const decision = decideRetry(this.policy, { error, attemptsInRound: state.attemptsInRound, workerLeft: false, waitedMs: state.waitedMs });
    if (decision.action !== 'wait') throw this.transport.exhausted({ last: state.last, noWorker: true, allFull: state.last !== undefined && state.allFull });
    await this.waitForCapacity(decision.forMs, state, signal);
  }

  /** Waits `ms` (less when capacity changes or the caller aborts), then starts a new round. */
  private async waitForCapacity(ms: number, state: RoundState, signal: AbortSignal): Promise<void> {
    const startedAt = this.clock.now();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      const unsubscribe = this.transport.onCapacityChange(done);
      signal.addEventListener('abort', done, { once: true });
    });
    state.waitedMs += Math.max(1, this.clock.now() - startedAt);
    state.exclude.clear();
    state.attemptsInRound = 0;
    state.allFull = true;
  }
}
