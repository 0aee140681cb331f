import {
  BYTE_LEVEL_TOKEN_IDS,
  REFERENCE_PAIR_PROFILE,
  runRelay,
  type CompletedEvent,
  type Engine,
  type EngineChunk,
  type EngineRequest,
  type RelayRequest,
} from '@relayllm/relay-core';
import { ManualClock } from '@relayllm/relay-core/testing';

/** Helpers for the eval's engine-decorator specs: requests, a relay run to completion, what an item records. */

const BOS = BYTE_LEVEL_TOKEN_IDS.BOS;

/** A relay request for `prompt` (byte ids after BOS), generation g1. */
export function relayRequestOf(prompt: string, extra: Partial<RelayRequest> = {}): RelayRequest {
  return { generationId: 'g1', prompt, promptTokens: [BOS, ...Buffer.from(prompt)], maxTokens: 64, ...extra };
}

/** Runs the relay on the two engines to its completion (a manual clock: no timers). */
export async function completeRelay(slm: Engine, llm: Engine, req: RelayRequest): Promise<CompletedEvent> {
  for await (const event of runRelay({ slm, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, req, new AbortController().signal)) {
    if (event.type === 'completed') return event;
  }
  throw new Error('no completion');
}

/** A completion's usage and call offsets as an eval item records them (what withoutInjectedCommands corrects). */
export function outcomeOf(done: CompletedEvent) {
  const { usage } = done;
  return {
    usage: { slm_tokens: usage.slmTokens, llm_tokens: usage.llmTokens, response_tokens: usage.responseTokens, llm_token_ratio: usage.llmTokenRatio, no_call_commands: usage.noCallCommands },
    calls: usage.callRecords.map((c) => ({ response_token_start: c.responseTokenStart, response_token_end: c.responseTokenEnd })),
  };
}

/** Every chunk of a stream. */
export async function collectChunks(chunks: AsyncIterable<EngineChunk>): Promise<EngineChunk[]> {
  const out: EngineChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

/** An SLM engine request (sequence g/slm), with `over` applied. */
export const slmEngineRequest = (over: Partial<EngineRequest> = {}): EngineRequest => ({
  sequenceId: 'g/slm',
  turn: 0,
  context: { text: 'q\n' },
  appendOnly: false,
  maxTokens: 16,
  sampling: {},
  stopTokens: [],
  stop: [],
  bannedTokens: [],
  ...over,
});
