import type { EngineChunk, EngineRequest } from './engine';

/**
 * One relay call to the large model: continue `context` (the command-stripped
 * text) for at most `maxTokens` (= the granted n) tokens.
 */
export interface LlmRelayRequest extends EngineRequest {
  /** The generation this call belongs to; a pool routes calls of one generation to the same worker when it can (KV reuse). */
  generationId: string;
  /** 0-based index of the call within the generation. */
  callIndex: number;
}

/**
 * A set of LLM workers behind one entry point. The pool chooses the worker
 * (affinity, load) and streams its chunks back; it follows the Engine chunk
 * contract and must stop promptly once `signal` is aborted.
 */
export interface LlmPool {
  relay(request: LlmRelayRequest, signal: AbortSignal): AsyncIterable<EngineChunk>;
}
