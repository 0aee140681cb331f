import type { RelayServiceHandler } from '@relayllm/grpc-api';
import {
  BYTE_LEVEL_VOCABULARY,
  DeadlineExceededReason,
  DEFAULT_SERVER_LIMITS,
  FailedPreconditionReason,
  InvalidArgumentReason,
  RelayError,
  runRelay,
  validateRelayRequest,
  type Clock,
  type Engine,
  type RelayRequest,
  type RelayServerLimits,
  type RelayStreamEvent,
} from '@relayllm/relay-core';
import { storeKey, type KeyValueStore } from '@relayllm/relay-cluster';
import type { ChatFormat } from './chat-format';

/** The server's bounds on requests: relay-core's defaults with the configured max_tokens ceiling. */
export function embeddedServerLimits(maxTokensLimit: number): RelayServerLimits {
  return { ...DEFAULT_SERVER_LIMITS, maxTokensCeiling: maxTokensLimit };
}

export interface EmbeddedRelayOptions {
  /** Started engines; the host owns their lifecycle. */
  slm: Engine;
  llm: Engine;
  clock: Clock;
  /**
   * Generation state shared by whoever serves this API (in memory here; a
   * networked store when replicated): marks a request_id as running.
   */
  store: KeyValueStore;
  chatFormat: ChatFormat;
  /** Tokens both models can see (the smaller window of the two). */
  contextSize: number;
  /** Ceiling on max_tokens. */
  maxTokensLimit: number;
  /** A generation still running after this is stopped (DEADLINE_EXCEEDED). */
  requestTimeoutMs: number;
}

/**
 * The single-process relay behind both the gRPC server and `relayllm
 * generate`, so that both validate and frame requests the same way:
 *  1. the request is validated as the caller wrote it (errors name the
 *     caller's fields, e.g. an empty prompt is not hidden by the framing);
 *  2. the framed prompt must leave room for one token in the context window;
 *  3. a request_id already running is refused: two generations on one id
 *     would share the engines' sequences (one KV cache per id);
 *  4. runRelay runs on the framed prompt under the caller's signal and the
 *     request timeout.
 */
export class EmbeddedRelay implements RelayServiceHandler {
  readonly serverLimits: RelayServerLimits;

  constructor(private readonly options: EmbeddedRelayOptions) {
    this.serverLimits = embeddedServerLimits(options.maxTokensLimit);
  }

  generate(request: RelayRequest, signal: AbortSignal): AsyncIterable<RelayStreamEvent> {
    return this.run(request, signal);
  }

  private async *run(request: RelayRequest, signal: AbortSignal): AsyncGenerator<RelayStreamEvent> {
    const { options } = this;
    validateRelayRequest(request, BYTE_LEVEL_VOCABULARY, this.serverLimits);
    const framed = options.chatFormat.frame(request.prompt);
    if (framed.tokens.length >= options.contextSize) {
      throw RelayError.invalidArgument(InvalidArgumentReason.PROMPT_TOO_LONG,
        `prompt is ${framed.tokens.length} tokens with the chat format; the context window is ${options.contextSize}`,
        'prompt',
      );
    }
    const stateKey = storeKey('state', request.generationId);
    // get-then-set is not atomic: enough in one process (no other request runs
    // between the two), a networked store would need SET NX.
    if ((await options.store.get(stateKey)) !== undefined) {
      throw RelayError.failedPrecondition(FailedPreconditionReason.REQUEST_ID_IN_USE,
        `a generation with request_id ${request.generationId} is still running`,
        { field: 'generationId' },
      );
    }
    // The TTL outlives the request timeout, so a crashed handler cannot pin the id forever.
    await options.store.set(stateKey, 'running', options.requestTimeoutMs + 60_000);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), options.requestTimeoutMs);
    try {
      const relaySignal = AbortSignal.any([signal, timeout.signal]);
      const framedRequest: RelayRequest = { ...request, prompt: framed.text, promptTokens: framed.tokens };
      for await (const event of runRelay({ slm: options.slm, llm: options.llm, clock: options.clock }, framedRequest, relaySignal)) {
        if (event.type === 'completed' && timeout.signal.aborted && !signal.aborted) {
          // Our own limit, not the caller's cancellation: report it as such.
          throw RelayError.deadlineExceeded(DeadlineExceededReason.REQUEST_TIMEOUT,
            `the generation exceeded the server's request timeout of ${options.requestTimeoutMs} ms`,
          );
        }
        yield event;
      }
    } finally {
      clearTimeout(timer);
      await options.store.delete(stateKey);
    }
  }
}
