import {
  DeadlineExceededReason,
  InvalidArgumentReason,
  RelayError,
  ResourceExhaustedReason,
  commandTokenIds,
  pairProfile,
  runRelay,
  sequenceIdOf,
  validateRelayRequest,
  withServerDefaults,
  type ChatFormat,
  type ChatTemplateSource,
  type Clock,
  type CompletedEvent,
  type FramedPrompt,
  type RelayModels,
  type RelayPairProfile,
  type RelayRequest,
  type RelayServerLimits,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import {
  tenantGenerationId,
  withGenerationState,
  type AdmissionPermit,
  type AdmissionQueue,
  type GenerationEngines,
  type GenerationStateStore,
  type TokenQuota,
} from '@relayllm/relay-cluster';
import { chatFormatFor } from './chat-template/chat-format-for';
import type { GenerationObserver } from './generation-observer';
import { ANONYMOUS_KEY_ID, type CallerContext, type RelayServiceHandler } from './relay-service-handler';

/** The completed event with the prompt's token count, when its ids are known (stored results are counted again on replay). */
function withPromptTokens(event: CompletedEvent, promptTokens: readonly number[] | undefined): CompletedEvent {
  if (promptTokens === undefined) return event;
  return { ...event, usage: { ...event.usage, promptTokens: promptTokens.length } };
}

/** Admission control: at most the queue's slots run, the rest wait in it up to `maxWaitMs`. */
export interface FrontDoorAdmission {
  queue: AdmissionQueue;
  /** Longest wait for a slot (RESOURCE_EXHAUSTED ADMISSION_WAIT_EXPIRED after it). */
  maxWaitMs: number;
  /**
   * The signal that ends one request's wait (default: after `maxWaitMs`). A
   * host that knows when waiting is not overload (its broker is down: slots
   * are held by generations riding the outage out) gives its own.
   */
  waitLimit?: () => AbortSignal;
}

export interface GenerationResumed {
  generationId: string;
  previousOwner: string;
  savedStreams: number;
  turn: number;
}

export interface FrontDoorOptions {
  /** Started engines (the host owns their lifecycle): in-process models, or remote ones over workers. */
  engines: GenerationEngines;
  /**
   * What the two models say of themselves (LlamaCppEngine.describe(), an
   * OpenAI engine's describe(), or `referenceModels()` for the reference
   * pair): their profiles (command syntax, end-of-turn ids, vocabulary,
   * context length), the SLM's chat template or format, and its tokenizer.
   */
  models: RelayModels;
  /** A chat template that replaces the SLM's own (the operator's file); default: the SLM's. */
  chatTemplate?: ChatTemplateSource;
  limits: RelayServerLimits;
  /** A generation still running after this is stopped (DEADLINE_EXCEEDED REQUEST_TIMEOUT). */
  requestTimeoutMs: number;
  /** Request-id idempotency and resumable generation state, over the deployment's store. */
  generations: GenerationStateStore;
  /**
   * true (a cluster): progress is saved at every handoff so that another
   * replica can resume a generation whose owner died, and the lease is
   * renewed every `leaseRenewMs`. false (one process): only the running and
   * completed records are kept (request-id idempotency, nothing to resume).
   */
  resumable: boolean;
  /** How often a running generation renews its lease (ms), when resumable. */
  leaseRenewMs?: number;
  admission?: FrontDoorAdmission;
  /** Per-key LLM-token quota; unset: none. */
  quota?: TokenQuota;
  observer?: GenerationObserver;
  clock: Clock;
  /** Told when a generation is taken over from a replica whose lease lapsed. */
  onResume?: (resumed: GenerationResumed) => void;
}

/**
 * The one front door of RelayLLM: the embedded server, the orchestrator, the
 * CLI and every protocol adapter run a generation through it, so each step
 * exists once:
 *  1. the caller's LLM-token quota (refused before anything runs, not even a span);
 *  2. observation (the observer's span is the parent of everything below);
 *  3. validation as the caller wrote the request (errors name its fields);
 *  4. framing with the chat format (the SLM's template, rendered here) and
 *     the context-window check (prompt, then prompt + maxTokens);
 *  5. admission (a bounded wait for a slot);
 *  6. generation state: a completed request_id replays its result, a running
 *     one is refused (REQUEST_ID_IN_USE), one whose owner died is resumed;
 *  7. runRelay under the caller's signal and the request timeout;
 *  8. always: the slot, the quota charge and both engines' sequences are given back.
 */
export class RelayFrontDoor implements RelayServiceHandler {
  readonly pair: RelayPairProfile;
  readonly chatFormat: ChatFormat;
  /** Tokens both models can see: the smaller context window of the two. */
  readonly contextSize: number;

  /** Builds the chat format (a template that does not render throws CHAT_TEMPLATE_INVALID here, at start). */
  constructor(private readonly options: FrontDoorOptions) {
    const { slm, llm } = options.models;
    this.pair = pairProfile(slm.profile, llm.profile);
    this.chatFormat = chatFormatFor(slm, options.chatTemplate);
    this.contextSize = Math.min(slm.profile.contextLength, llm.profile.contextLength);
  }

  get limits(): RelayServerLimits {
    return this.options.limits;
  }

  generate(request: RelayRequest, signal: AbortSignal, caller: CallerContext): AsyncIterable<RelayStreamEvent> {
    return this.serve(request, signal, caller);
  }

  private async *serve(request: RelayRequest, signal: AbortSignal, caller: CallerContext): AsyncGenerator<RelayStreamEvent> {
    const { quota, observer } = this.options;
    const quotaKey = caller.apiKeyId ?? ANONYMOUS_KEY_ID;
    if (quota !== undefined) {
      const decision = quota.admit(quotaKey);
      if (!decision.admitted) {
        throw RelayError.resourceExhausted(
          ResourceExhaustedReason.LLM_TOKEN_QUOTA_EXCEEDED,
          `the LLM token quota of key "${quotaKey}" is used up; retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`,
          { retryAfterMs: decision.retryAfterMs },
        );
      }
    }
    const run = (): AsyncIterable<RelayStreamEvent> => this.run(request, signal, quotaKey, caller.deadlineAtMs);
    let llmTokens = 0;
    try {
      for await (const event of observer?.observe(run, request, caller, signal) ?? run()) {
        if (event.type === 'relayFinished') llmTokens += event.tokensWritten;
        else if (event.type === 'completed') llmTokens = event.usage.llmTokens;
        yield event;
      }
    } finally {
      quota?.charge(quotaKey, llmTokens);
    }
  }

  private async *run(request: RelayRequest, signal: AbortSignal, tenantId: string, callerDeadlineAtMs: number | undefined): AsyncGenerator<RelayStreamEvent> {
    const { engines, generations, requestTimeoutMs, clock } = this.options;
    // Tenants apart: the generation is the request_id inside the caller's tenant (its state, engine sequences and cached outputs).
    const framed: RelayRequest = { ...this.frame(request), generationId: tenantGenerationId(tenantId, request.generationId) };
    const permit = await this.admit(signal);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), requestTimeoutMs);
    try {
      const relaySignal = AbortSignal.any([signal, timeout.signal]);
      const deps = { clock, pair: this.pair, serverLimits: this.options.limits };
      // The engines learn when the relay will be stopped: the caller's deadline or the request timeout, whichever comes first.
      const timeoutAtMs = clock.now() + requestTimeoutMs;
      const runOptions = { deadlineAtMs: callerDeadlineAtMs === undefined ? timeoutAtMs : Math.min(callerDeadlineAtMs, timeoutAtMs) };
      const relay = (recording: GenerationEngines): AsyncIterable<RelayStreamEvent> => runRelay({ ...recording, ...deps }, framed, relaySignal, runOptions);
      // The framed request: its prompt is the model input, so a request_id reused for another conversation is told apart.
      for await (const event of withGenerationState(generations, framed, engines, relay, {
        checkpoints: this.options.resumable,
        leaseTicker: this.leaseTicker(),
        onResume: (resumed) => this.options.onResume?.({ generationId: request.generationId, ...resumed }),
      })) {
        if (event.type === 'completed' && timeout.signal.aborted && !signal.aborted) {
          // Our own limit, not the caller's cancellation: report it as such.
          throw RelayError.deadlineExceeded(
            DeadlineExceededReason.REQUEST_TIMEOUT,
            `the generation exceeded the server's request timeout of ${requestTimeoutMs} ms`,
          );
        }
        yield event.type === 'completed' ? withPromptTokens(event, framed.promptTokens) : event;
      }
    } finally {
      clearTimeout(timer);
      permit?.release();
      engines.slm.release(sequenceIdOf(framed.generationId, 'slm'));
      engines.llm.release(sequenceIdOf(framed.generationId, 'llm'));
    }
  }

  /**
   * The request as the models see it: validated as the caller wrote it, the
   * operator's request defaults written in where it names none (a cluster's
   * fingerprint and saved streams then follow the floor and turns the
   * generation runs with), framed as its input kind says (a question or a conversation with the
   * chat format, raw input as written), inside the context window. The result
   * is raw input: nothing frames it again. Without the SLM's tokenizer (a
   * text-only engine) the prompt's length in tokens is unknown here and the
   * server checks it.
   */
  private frame(request: RelayRequest): RelayRequest {
    validateRelayRequest(request, this.pair.slm.commandSyntax, this.options.limits);
    const framed = this.frameInput(request);
    const framedRequest: RelayRequest = { ...withServerDefaults(request, this.options.limits), prompt: framed.text, input: { kind: 'raw' } };
    delete framedRequest.promptTokens;
    if (framed.tokens === undefined) return framedRequest;
    const commandIds = commandTokenIds(this.pair.slm.commandSyntax);
    if (framed.tokens.some((id) => commandIds.includes(id))) {
      // Raw input is tokenized with special tokens parsed: a command token the caller typed there must not reach the models.
      throw RelayError.invalidArgument(InvalidArgumentReason.PROMPT_CONTROL_TOKEN, "prompt holds one of the SLM's command tokens", 'prompt');
    }
    const promptTokens = framed.tokens.length;
    const window = this.contextSize;
    if (promptTokens >= window) {
      throw RelayError.invalidArgument(
        InvalidArgumentReason.PROMPT_TOO_LONG,
        `prompt is ${promptTokens} tokens with the chat format; the context window is ${window}`,
        'prompt',
      );
    }
    if (promptTokens + request.maxTokens > window) {
      // Both views hold the prompt plus at most maxTokens response tokens.
      throw RelayError.invalidArgument(
        InvalidArgumentReason.MAX_TOKENS_RANGE,
        `maxTokens ${request.maxTokens} does not fit: the prompt is ${promptTokens} tokens with the chat format, the context window ${window} leaves ${window - promptTokens}`,
        'maxTokens',
      );
    }
    return { ...framedRequest, promptTokens: framed.tokens };
  }

  private frameInput(request: RelayRequest): FramedPrompt {
    const input = request.input ?? { kind: 'question' };
    switch (input.kind) {
      case 'question':
        return this.chatFormat.frame(request.prompt);
      case 'messages':
        return this.chatFormat.frameMessages(input.messages);
      case 'raw':
        return this.chatFormat.frameRaw(request.prompt);
    }
  }

  private async admit(signal: AbortSignal): Promise<AdmissionPermit | undefined> {
    const admission = this.options.admission;
    if (admission === undefined) return undefined;
    return admission.queue.acquire(signal, admission.waitLimit?.() ?? AbortSignal.timeout(admission.maxWaitMs));
  }

  /** Renews a running generation's lease every `leaseRenewMs` (see GenerationStateRunOptions.leaseTicker). */
  private leaseTicker(): ((renew: () => void) => () => void) | undefined {
    const every = this.options.leaseRenewMs;
    if (every === undefined) return undefined;
    return (renew) => {
      const timer = setInterval(renew, every);
      timer.unref();
      return () => clearInterval(timer);
    };
  }
}
