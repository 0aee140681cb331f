import type { RelayFinishReason, TextSegment } from './relay-types';
import type { CallOrigin, RelayUsage } from './usage';

/** Answer text as it is produced; see TextSegment for tokenCount. */
export interface TextStreamEvent extends TextSegment {
  type: 'text';
}

/** A call was granted (the SLM's command, or the request's confidence floor); the LLM is being called. */
export interface RelayStartedEvent {
  type: 'relayStarted';
  callIndex: number;
  origin: CallOrigin;
  requestedN: number;
  grantedN: number;
}

/** The LLM's part of a call is over (control returns to the SLM unless the generation ended). */
export interface RelayFinishedEvent {
  type: 'relayFinished';
  callIndex: number;
  tokensWritten: number;
  latencyMs: number;
}

/** Always the last event of a generation that did not throw. */
export interface CompletedEvent {
  type: 'completed';
  finishReason: RelayFinishReason;
  usage: RelayUsage;
  /** The whole answer (concatenation of all text events). */
  text: string;
}

export type RelayStreamEvent = TextStreamEvent | RelayStartedEvent | RelayFinishedEvent | CompletedEvent;
