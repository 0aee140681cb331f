import type { RelayServiceHandler } from '@relayllm/grpc-api';
import { AdmissionQueue, OutputCachingEngine, GenerationStateStore, withGenerationState, type KeyValueStore } from '@relayllm/relay-cluster';
import {
  BYTE_LEVEL_VOCABULARY,
  DeadlineExceededReason,
  DEFAULT_SERVER_LIMITS,
  InvalidArgumentReason,
  REFERENCE_CHAT_FORMAT,
  RelayError,
  runRelay,
  sequenceIdOf,
  validateRelayRequest,
  type ChatFormat,
  type Clock,
  type Engine,
  type RelayRequest,
  type RelayServerLimits,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import type { OrchestratorBackends } from './backends';
import type { OrchestratorConfig } from './config';

export type OrchestrationSettings = Pick<
  OrchestratorConfig,
  | 'llmModel'
  | 'contextSize'
  | 'maxTokensLimit'
  | 'requestTimeoutMs'
  | 'maxConcurrentGenerations'
  | 'maxQueuedRequests'
  | 'maxQueueWaitMs'
  | 'outputCacheTtlMs'
  | 'generationLeaseMs'
>;

export interface RelayOrchestrationDeps {
  backends: OrchestratorBackends;
  store: KeyValueStore;
  clock: Clock;
  /** This replica's id (written into generation state). */
  replicaId: string;
  log?: (line: string) => void;
  chatFormat?: ChatFormat;
  /** Issue #6: wraps the LLM pool as the relay sees it (outside the output cache) for relay.call spans. */
  observeLlm?: (pool: Engine) => Engine;
}

/**
 * One generation per call, stateless between calls (everything another
 * replica needs is in the shared store):
 *  1. validate the request as the caller wrote it, frame it with the chat
 *     format (the embedded app's, from relay-core), check the context window;
 *  2. wait for a slot (AdmissionQueue: min(configured bound, live SLM slots);
 *     bounded queue, bounded wait → RESOURCE_EXHAUSTED);
 *  3. generation state: a completed request_id replays its result, a running
 *     one is refused (REQUEST_ID_IN_USE) while its replica holds the lease and
 *     resumed here from its saved streams once the lease lapsed; progress is
 *     checkpointed at every handoff and lease renewal;
 *  4. runRelay on the remote SLM and the LLM pool behind the output cache,
 *     under the caller's signal and the request timeout;
 *  5. always: free the slot and the generation's SLM stream.
 */
export class RelayOrchestrationService implements RelayServiceHandler {
  readonly serverLimits: RelayServerLimits;
  readonly admission: AdmissionQueue;
  readonly llm: OutputCachingEngine;
  private readonly observedLlm: Engine;
  private readonly states: GenerationStateStore;
  private readonly chatFormat: ChatFormat;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly settings: OrchestrationSettings,
    private readonly deps: RelayOrchestrationDeps,
  ) {
    this.serverLimits = { ...DEFAULT_SERVER_LIMITS, maxTokensCeiling: settings.maxTokensLimit };
    this.chatFormat = deps.chatFormat ?? REFERENCE_CHAT_FORMAT;
    this.admission = new AdmissionQueue({
      maxConcurrent: () => Math.min(settings.maxConcurrentGenerations, deps.backends.slmCapacity()),
      maxQueued: settings.maxQueuedRequests,
    });
    this.unsubscribe = deps.backends.onCapacityChange(() => this.admission.capacityChanged());
    this.llm = new OutputCachingEngine(deps.backends.llm, { model: settings.llmModel, store: deps.store, ttlMs: settings.outputCacheTtlMs });
    this.observedLlm = deps.observeLlm?.(this.llm) ?? this.llm;
    this.states = new GenerationStateStore({
      store: deps.store,
      owner: deps.replicaId,
      clock: deps.clock,
      leaseMs: settings.generationLeaseMs,
      runningTtlMs: settings.requestTimeoutMs + 60_000,
    });
  }

  generate(request: RelayRequest, signal: AbortSignal): AsyncIterable<RelayStreamEvent> {
    return this.run(request, signal);
  }

  /** Renews a running generation's state record every third of its lease. */
  private readonly leaseTicker = (renew: () => void): (() => void) => {
    const timer = setInterval(renew, Math.max(100, Math.floor(this.settings.generationLeaseMs / 3)));
    timer.unref();
    return () => clearInterval(timer);
  };

  /** Stops following capacity changes. */
  dispose(): void {
    this.unsubscribe();
  }

  private async *run(request: RelayRequest, signal: AbortSignal): AsyncGenerator<RelayStreamEvent> {
    const { settings, deps } = this;
    validateRelayRequest(request, BYTE_LEVEL_VOCABULARY, this.serverLimits);
    const framed = this.chatFormat.frame(request.prompt);
    if (framed.tokens.length >= settings.contextSize) {
      throw RelayError.invalidArgument(InvalidArgumentReason.PROMPT_TOO_LONG,
        `prompt is ${framed.tokens.length} tokens with the chat format; the context window is ${settings.contextSize}`,
        'prompt',
      );
    }
    const permit = await this.admission.acquire(signal, AbortSignal.timeout(settings.maxQueueWaitMs));
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), settings.requestTimeoutMs);
    try {
      const relaySignal = AbortSignal.any([signal, timeout.signal]);
      const framedRequest: RelayRequest = { ...request, prompt: framed.text, promptTokens: framed.tokens };
      const engines = { slm: deps.backends.slm, llm: this.observedLlm };
      const relay = (recording: { slm: Engine; llm: Engine }) => runRelay({ ...recording, clock: deps.clock }, framedRequest, relaySignal);
      for await (const event of withGenerationState(this.states, request, engines, relay, {
        leaseTicker: this.leaseTicker,
        onResume: ({ previousOwner, savedStreams, turn }) =>
          deps.log?.(`resumed generation ${request.generationId} of ${previousOwner} (lease lapsed) from ${savedStreams} saved streams, turn ${turn}`),
      })) {
        if (event.type === 'completed' && timeout.signal.aborted && !signal.aborted) {
          throw RelayError.deadlineExceeded(DeadlineExceededReason.REQUEST_TIMEOUT,
            `the generation exceeded the server's request timeout of ${settings.requestTimeoutMs} ms`,
          );
        }
        yield event;
      }
    } finally {
      clearTimeout(timer);
      permit.release();
      deps.backends.slm.release(sequenceIdOf(request.generationId, 'slm'));
      deps.backends.llm.release(sequenceIdOf(request.generationId, 'llm'));
    }
  }
}
