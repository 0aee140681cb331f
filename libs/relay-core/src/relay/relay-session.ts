import { RelayError } from '../errors/relay-error';
import type { EngineChunk, EngineFinish, EngineRequest } from '../ports/engine';
import { commandTokenIds, type RelayPairProfile } from '../protocol/model-profile';
import { grantedTokens } from './call-decision';
import { AppendTracker } from './context-view';
import { LlmOutputReader } from './llm-output-reader';
import type { ValidatedRelayRequest } from './relay-request';
import { RelayTranscript } from './relay-transcript';
import type {
  ChunkOutcome,
  RelayAction,
  RelayCallGrant,
  RelayFinishReason,
  RelayRunOptions,
  StreamEndOutcome,
  TextSegment,
} from './relay-types';
import { sequenceIdOf } from './sequence-id';
import { SlmOutputReader } from './slm-output-reader';
import type { CallOrigin, RelayCallRecord, RelayUsage } from './usage';
import { FailedPreconditionReason } from '../errors/reasons';

interface OpenCall extends RelayCallGrant {
  responseTokenStart: number;
}

/**
 * The relay protocol as a pure state machine: no I/O, no timers, no engines.
 * A driver (runRelay) asks nextAction(), streams the engine it names, hands
 * every chunk to acceptChunk() until that says stopStream or the stream ends,
 * then calls endStream(); repeat until the action is 'finish'.
 *
 * Invariants: response tokens never exceed maxTokens (for engines that honour
 * maxTokens; text-only chunks are taken whole); calls <= maxTurns - 1; every
 * grant is min(requested, per-call cap, remaining budget, remaining LLM total)
 * and >= 1; the LLM's context and the answer never contain a command.
 */
export class RelaySession {
  private phase: 'slm' | 'llm' | 'finished';
  private finishReason: RelayFinishReason = 'eos';
  private readonly transcript: RelayTranscript;
  private readonly slmReader: SlmOutputReader;
  private readonly slmSequence = new AppendTracker();
  /** SLM requests made so far (the next one's turn). */
  private slmTurns = 0;
  private readonly llmSequence = new AppendTracker();
  private action: RelayAction | undefined;
  private streamFinish: EngineFinish | undefined;
  private openCall: OpenCall | undefined;
  private llmReader: LlmOutputReader | undefined;

  /**
   * `pair`: the two models' profiles. The SLM's says how its commands are
   * written and which ids end its turn; the LLM's which ids to ban and which
   * end the generation; `idsTravel` whether ids may cross between the views.
   * `run`: what this run adds to every engine request (its deadline).
   */
  constructor(
    private readonly request: ValidatedRelayRequest,
    private readonly pair: RelayPairProfile,
    private readonly run: RelayRunOptions = {},
  ) {
    if (run.deadlineAtMs !== undefined && !Number.isFinite(run.deadlineAtMs)) {
      throw new RangeError(`deadlineAtMs must be a finite Unix time in ms, got ${run.deadlineAtMs}`);
    }
    this.transcript = new RelayTranscript(request.prompt, request.promptTokens, pair.idsTravel);
    this.slmReader = new SlmOutputReader(this.transcript, pair.slm, () => this.budgetLeft(), (n, origin) =>
      this.tryStartCall(n, origin),
    request.confidenceFloor);
    this.phase = request.policy === 'LLM_ONLY' ? 'llm' : 'slm';
    if (request.policy === 'LLM_ONLY' && this.llmOnlyLimit() === 0) this.finish('length');
  }

  /** The next step; the same object until the stream it names has ended. */
  nextAction(): RelayAction {
    if (this.phase === 'finished') {
      return { type: 'finish', finishReason: this.finishReason, usage: this.usage, text: this.text };
    }
    if (this.action !== undefined) return this.action;
    this.streamFinish = undefined;
    if (this.phase === 'slm') {
      this.slmReader.beginStream();
      this.action = { type: 'generate_slm', request: this.slmRequest() };
    } else if (this.openCall === undefined) {
      this.llmReader = new LlmOutputReader(this.transcript, this.pair.llm, this.llmOnlyLimit());
      this.action = { type: 'generate_llm', request: this.llmRequest(0, this.llmOnlyLimit()) };
    } else {
      const { callIndex, origin, requestedN, grantedN } = this.openCall;
      this.llmReader = new LlmOutputReader(this.transcript, this.pair.llm, grantedN);
      this.action = { type: 'call_llm', call: { callIndex, origin, requestedN, grantedN }, request: this.llmRequest(callIndex, grantedN) };
    }
    return this.action;
  }

  /** Reads one chunk of the current stream; once stopStream is true, later chunks are ignored. */
  acceptChunk(chunk: EngineChunk): ChunkOutcome {
    this.assertStreaming();
    if (this.streamDone()) return { segments: [], stopStream: true };
    const segments = this.phase === 'slm' ? this.slmReader.read(chunk) : (this.llmReader as LlmOutputReader).read(chunk);
    if (chunk.finish !== undefined) this.streamFinish = chunk.finish;
    return { segments, stopStream: this.streamDone() };
  }

  /** The current stream ended, naturally or because stopStream was returned. */
  endStream(info: { latencyMs?: number } = {}): StreamEndOutcome {
    this.assertStreaming();
    this.action = undefined;
    if (this.phase === 'slm') return { segments: this.endSlmStream() };
    if (this.openCall === undefined) {
      this.finish(this.llmOnlyFinish());
      return { segments: [] };
    }
    return { segments: [], call: this.endLlmCall(info.latencyMs) };
  }

  /** The caller gave up: finish with 'cancelled', keeping the usage so far (an open call is recorded as is). */
  cancel(): void {
    if (this.phase === 'finished') return;
    if (this.phase === 'llm' && this.openCall !== undefined && this.action !== undefined) this.recordCall(undefined);
    this.action = undefined;
    this.finish('cancelled');
  }

  get usage(): RelayUsage {
    return this.transcript.meter.snapshot();
  }

  get finished(): boolean {
    return this.phase === 'finished';
  }

  /** The answer so far (the LLM view without the prompt: commands stripped). */
  get text(): string {
    return this.transcript.answer;
  }

  /** The SLM's context: prompt + everything it wrote, commands included, + LLM output. */
  get slmViewText(): string {
    return this.transcript.slmView.textValue;
  }

  /** The LLM's context: the same without any command. */
  get llmViewText(): string {
    return this.transcript.llmView.textValue;
  }

  private budgetLeft(): number {
    return this.request.limits.maxTokens - this.transcript.meter.responseTokens;
  }

  private llmOnlyLimit(): number {
    return Math.min(this.request.limits.maxTokens, this.request.limits.maxLlmTokensTotal);
  }

  private streamDone(): boolean {
    if (this.streamFinish !== undefined) return true;
    if (this.phase === 'llm') return (this.llmReader as LlmOutputReader).done;
    const { calling, sawEos, hitLength } = this.slmReader.state;
    return calling || sawEos || hitLength;
  }

  private slmRequest(): EngineRequest {
    const request: EngineRequest = {
      sequenceId: sequenceIdOf(this.request.generationId, 'slm'),
      turn: this.slmTurns++,
      context: this.transcript.slmView.toContext(),
      ...this.slmSequence.next(this.transcript.slmView),
      maxTokens: this.budgetLeft(),
      sampling: { ...this.request.sampling },
      stopTokens: [],
      stop: [...this.request.stop],
      bannedTokens: [],
    };
    // Absent rather than 0 / false: a request without the knobs is exactly what it was before they existed.
    if (this.request.callBias !== 0) request.callBias = this.request.callBias;
    if (this.request.confidenceFloor !== undefined) request.reportProbabilities = true;
    return this.withDeadline(request);
  }

  private llmRequest(callIndex: number, maxTokens: number): EngineRequest {
    return this.withDeadline({
      sequenceId: sequenceIdOf(this.request.generationId, 'llm'),
      turn: callIndex,
      context: this.transcript.llmView.toContext(),
      ...this.llmSequence.next(this.transcript.llmView),
      maxTokens,
      sampling: { ...this.request.sampling },
      stopTokens: [],
      stop: [...this.request.stop],
      bannedTokens: [...commandTokenIds(this.pair.llm.commandSyntax)],
    });
  }

  /** The run's deadline on a request; absent without one (a request is then exactly what it was before deadlines travelled). */
  private withDeadline(request: EngineRequest): EngineRequest {
    if (this.run.deadlineAtMs !== undefined) request.deadlineAtMs = this.run.deadlineAtMs;
    return request;
  }

  private tryStartCall(requestedN: number, origin: CallOrigin): boolean {
    const meter = this.transcript.meter;
    const grantedN = grantedTokens({
      requestedN,
      policy: this.request.policy,
      limits: this.request.limits,
      callsSoFar: meter.calls,
      responseTokensSoFar: meter.responseTokens,
      llmTokensSoFar: meter.llmTokens,
    });
    if (grantedN === 0) {
      // A floor that may not call is no command: the SLM's token is read as written.
      if (origin === 'command') meter.noCallCommands += 1;
      return false;
    }
    this.openCall = { callIndex: meter.calls, origin, requestedN, grantedN, responseTokenStart: meter.responseTokens };
    return true;
  }

  private endSlmStream(): TextSegment[] {
    if (this.slmReader.state.calling) {
      this.slmReader.endForCall();
      this.phase = 'llm';
      return [];
    }
    const segments = this.slmReader.endWithoutCall();
    const { sawEos, hitLength } = this.slmReader.state;
    this.finish(hitLength ? 'length' : sawEos ? 'eos' : finishFromEngine(this.streamFinish));
    return segments;
  }

  private endLlmCall(latencyMs: number | undefined): RelayCallRecord {
    const record = this.recordCall(latencyMs);
    if (record.endedGeneration) this.finish('llm_eos');
    else if (this.streamFinish === 'stop' || this.streamFinish === 'abort') this.finish(finishFromEngine(this.streamFinish));
    else if (this.budgetLeft() <= 0) this.finish('length');
    else this.phase = 'slm';
    return record;
  }

  private recordCall(latencyMs: number | undefined): RelayCallRecord {
    const call = this.openCall as OpenCall;
    const reader = this.llmReader as LlmOutputReader;
    this.openCall = undefined;
    const record: RelayCallRecord = {
      callIndex: call.callIndex,
      origin: call.origin,
      requestedN: call.requestedN,
      grantedN: call.grantedN,
      tokensWritten: reader.written,
      responseTokenStart: call.responseTokenStart,
      responseTokenEnd: call.responseTokenStart + reader.written,
      endedGeneration: reader.sawEos,
    };
    if (latencyMs !== undefined) record.latencyMs = latencyMs;
    this.transcript.meter.addCall(record);
    return record;
  }

  private llmOnlyFinish(): RelayFinishReason {
    const reader = this.llmReader as LlmOutputReader;
    if (reader.sawEos) return 'eos';
    if (this.streamFinish !== undefined && this.streamFinish !== 'eos') return finishFromEngine(this.streamFinish);
    return reader.written >= reader.limit ? 'length' : 'eos';
  }

  private finish(reason: RelayFinishReason): void {
    this.phase = 'finished';
    this.finishReason = reason;
  }

  private assertStreaming(): void {
    if (this.action === undefined || this.phase === 'finished') {
      throw RelayError.failedPrecondition(FailedPreconditionReason.SESSION_STATE, 'no stream is open: call nextAction() first');
    }
  }
}

/** How an engine's own finish ends the generation; no finish means it ended naturally. */
function finishFromEngine(finish: EngineFinish | undefined): RelayFinishReason {
  if (finish === 'length') return 'length';
  if (finish === 'stop') return 'stop';
  if (finish === 'abort') return 'cancelled';
  return 'eos';
}
