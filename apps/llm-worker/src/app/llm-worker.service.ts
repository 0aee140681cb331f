import { valueWithin } from '@relayllm/bounded-waits';
import { LlmCancel, LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { generationOf, llmErrorReply, LlmReplyBuilder, toEngineRequest, type WorkerEngineChunk } from '@relayllm/nats-transport';
import {
  DeadlineExceededReason,
  FailedPreconditionReason,
  InvalidArgumentReason,
  parseSequenceId,
  RelayError,
  ResourceExhaustedReason,
  SystemClock,
  UnavailableReason,
  type Clock,
  type Engine,
} from '@relayllm/relay-core';

export interface LlmWorkerServiceOptions {
  workerId: string;
  model: string;
  /** Concurrent generations taken (the engine's sequences). */
  maxSequences: number;
  clock?: Clock;
  /** Told, in the request's async context, when the engine starts: ms waited since admission (a superseded attempt finishing). */
  onEngineStart?: (queuedMs: number) => void;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
  /** Which send of which call it runs: (turn, attempt, send). */
  order: readonly number[];
}

/** Where a request stands among a generation's sends: (turn, attempt, send; send 0 from older callers = 1). */
function sendOrder(wire: LlmGenerateRequest, turn: number): number[] {
  return [turn, wire.attempt, Math.max(1, wire.send)];
}

/** a comes before b (lexicographic). */
function sentBefore(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/**
 * Runs relay requests on the engine, one sequence per generation (sequence id
 * `<generationId>/llm`, so the next call of a generation reuses its KV cache).
 * Never throws: every outcome is a reply (failures as `error`). Refuses with
 * resource_exhausted WORKER_FULL when all sequences are busy, aborts the
 * engine at the request's deadline or on an LlmCancel, and lets a newer
 * attempt of the same generation replace an older one still running here.
 */
export class LlmWorkerService {
  private readonly running = new Map<string, Running>();
  private accepting = true;
  private readonly clock: Clock;
  private capacityListener: (() => void) | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly options: LlmWorkerServiceOptions,
  ) {
    this.clock = options.clock ?? new SystemClock();
  }

  /** Told when the worker becomes full or stops being full (to heartbeat the change at once). */
  setCapacityListener(listener: () => void): void {
    this.capacityListener = listener;
  }

  /** Generations running now (the heartbeat's active_sequences). */
  get activeSequences(): number {
    return this.running.size;
  }

  /** `onAccepted` is called once the request is admitted (the transport's early ack). */
  async generate(wire: LlmGenerateRequest, onAccepted?: () => void): Promise<LlmGenerateReply> {
    const base = { workerId: this.options.workerId, wire };
    let call: ReturnType<typeof toEngineRequest>;
    try {
      call = this.admit(wire);
    } catch (error) {
      return llmErrorReply(error, base);
    }
    const generation = generationOf(call.request);
    const previous = this.running.get(generation);
    const order = sendOrder(wire, call.request.turn);
    if (previous !== undefined && !sentBefore(previous.order, order)) {
      // A late duplicate (a frozen NATS server replaying an old connection's buffer): its caller has sent it again since; the live run stays.
      return llmErrorReply(RelayError.failedPrecondition(FailedPreconditionReason.GENERATION_IN_USE, 'a later send of this relay call is running'), base);
    }
    // A reissued attempt (or a send again after a broker drop) supersedes the old one: its caller gave up on it.
    previous?.controller.abort();
    if (previous === undefined && this.running.size >= this.options.maxSequences) {
      return llmErrorReply(RelayError.resourceExhausted(ResourceExhaustedReason.WORKER_FULL, `all ${this.options.maxSequences} sequences are busy`), base);
    }
    onAccepted?.();
    const controller = new AbortController();
    let finish!: () => void;
    const entry: Running = { controller, done: new Promise<void>((resolve) => (finish = resolve)), order };
    const wasFull = this.isFull();
    this.running.set(generation, entry);
    if (!wasFull && this.isFull()) this.capacityListener?.();
    let deadlineHit = false;
    const deadlineTimer =
      call.timeoutMs > 0
        ? setTimeout(() => {
            deadlineHit = true;
            controller.abort();
          }, call.timeoutMs)
        : undefined;
    const admittedAt = this.clock.now();
    try {
      await previous?.done;
      this.options.onEngineStart?.(this.clock.now() - admittedAt);
      const builder = new LlmReplyBuilder();
      for await (const chunk of this.engine.generate(call.request, controller.signal)) builder.add(chunk as WorkerEngineChunk);
      if (controller.signal.aborted) builder.finishIfUnset('abort');
      if (deadlineHit) throw RelayError.deadlineExceeded(DeadlineExceededReason.WORKER_DEADLINE, 'the request deadline passed during generation');
      return builder.build(base);
    } catch (error) {
      return llmErrorReply(deadlineHit ? RelayError.deadlineExceeded(DeadlineExceededReason.WORKER_DEADLINE, 'the request deadline passed during generation') : error, base);
    } finally {
      clearTimeout(deadlineTimer);
      const full = this.isFull();
      if (this.running.get(generation) === entry) this.running.delete(generation);
      finish();
      if (full && !this.isFull()) this.capacityListener?.();
    }
  }

  /**
   * Aborts the generation's running call when it is the call the cancel names
   * or an earlier one (a generation runs one LLM call at a time). A later call
   * is not its target: a cancel can arrive after the next call started (NATS
   * delivered it twice, once late: see DeliveredRequests).
   */
  cancel(message: LlmCancel): void {
    const running = this.running.get(generationOf(message));
    if (running !== undefined && running.order[0] <= message.turn) running.controller.abort();
  }

  /** Takes no new request from now on (graceful shutdown). */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Waits up to `graceMs` for running generations to finish, then aborts the
   * rest and waits for them to reply (engines stop within a step).
   */
  async drain(graceMs: number): Promise<void> {
    this.stopAccepting();
    const all = (): Promise<unknown> => Promise.all([...this.running.values()].map((r) => r.done));
    await valueWithin(all(), graceMs);
    for (const r of this.running.values()) r.controller.abort();
    await all();
  }

  private isFull(): boolean {
    return this.running.size >= this.options.maxSequences;
  }

  /** The call this worker runs for a request it may take (draining, another model, no generation: refused). */
  private admit(wire: LlmGenerateRequest): ReturnType<typeof toEngineRequest> {
    if (!this.accepting) throw RelayError.unavailable(UnavailableReason.WORKER_DRAINING, 'the worker is shutting down');
    if (wire.model !== this.options.model) {
      throw RelayError.failedPrecondition(FailedPreconditionReason.MODEL_MISMATCH, `this worker serves model "${this.options.model}"`);
    }
    const call = toEngineRequest(wire);
    if (parseSequenceId(call.request.sequenceId)?.role !== 'llm') {
      throw RelayError.invalidArgument(InvalidArgumentReason.GENERATION_ID_INVALID, 'sequence_id is not a generation\'s LLM sequence', 'sequence_id');
    }
    return call;
  }
}
