import type { EngineRequest } from '../ports/engine';
import type { CallOrigin, RelayCallRecord, RelayUsage } from './usage';

/**
 * Why a generation ended. 'eos': the SLM (or, under LLM_ONLY, the LLM) wrote
 * end-of-sequence or its stream ended; 'llm_eos': the LLM wrote end-of-sequence
 * inside a relay call; 'length': the token budget (or an engine's own limit)
 * ran out; 'stop': a stop string / token matched; 'cancelled': the caller's
 * signal was aborted.
 */
export type RelayFinishReason = 'eos' | 'llm_eos' | 'length' | 'stop' | 'cancelled';

export type RelaySource = 'SLM' | 'LLM';

/**
 * What one run of a generation knows besides its request: it differs between
 * runs of the same request (a retried request_id, a generation resumed by
 * another replica), so it is neither part of the request nor of its identity.
 */
export interface RelayRunOptions {
  /** Carried into every engine request of the run (EngineRequest.deadlineAtMs); absent: none. */
  deadlineAtMs?: number;
}

/**
 * Answer text, command-stripped, in output order. tokenCount: in token mode,
 * exactly the tokens whose text this is (command tokens are only counted in
 * usage.slmTokens); in text mode, the tokens of the chunks read since the
 * previous segment (may include command tokens that shared a chunk).
 */
export interface TextSegment {
  source: RelaySource;
  text: string;
  tokenCount: number;
}

/** A command that was granted: the LLM is called for grantedN tokens. */
export interface RelayCallGrant {
  callIndex: number;
  /** Who asked for the call: an SLM command, or the request's confidence floor. */
  origin: CallOrigin;
  requestedN: number;
  grantedN: number;
}

/** What the driver has to do next. */
export type RelayAction =
  | { type: 'generate_slm'; request: EngineRequest }
  | { type: 'call_llm'; call: RelayCallGrant; request: EngineRequest }
  /** LLM_ONLY: the LLM writes the whole answer; not a relay call. */
  | { type: 'generate_llm'; request: EngineRequest }
  | { type: 'finish'; finishReason: RelayFinishReason; usage: RelayUsage; text: string };

export interface ChunkOutcome {
  segments: TextSegment[];
  /** The session has read all it needs from this stream: stop reading and abort it. */
  stopStream: boolean;
}

export interface StreamEndOutcome {
  /** Text released at the end of the stream (held-back text that turned out not to be a command). */
  segments: TextSegment[];
  /** Set when the stream was a relay call. */
  call?: RelayCallRecord;
}
