import { encodeScript } from '@relayllm/relay-core/testing';
import type { EngineChunk, EngineRequest } from '@relayllm/relay-core';

/** The prompt and script the loopback specs' scripted engines share. */
export const SPEC_PROMPT = 'Q?\n';
export const SPEC_SCRIPT = 'abcdefgh<call>3</call>ijklmnopqrstuvwxyz</s>';

/** The reference ids of `text` (as ScriptEngineFake encodes it). */
export const specIds = (text: string): number[] => encodeScript(text).map((t) => t.id);

/** A generate of the spec prompt (sequence g1/slm, 100 tokens, temperature 0), with overrides. */
export function specRequest(overrides: Partial<EngineRequest> = {}): EngineRequest {
  return {
    sequenceId: 'g1/slm',
    turn: 0,
    context: { text: SPEC_PROMPT, tokens: specIds(SPEC_PROMPT) },
    appendOnly: false,
    maxTokens: 100,
    sampling: { temperature: 0 },
    stopTokens: [],
    stop: [],
    bannedTokens: [],
    ...overrides,
  };
}

/** Every chunk of `stream` (up to the one `stopAfter` accepts). */
export async function collectChunks(stream: AsyncIterable<EngineChunk>, stopAfter?: (chunk: EngineChunk) => boolean): Promise<EngineChunk[]> {
  const chunks: EngineChunk[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (stopAfter?.(chunk) === true) break;
  }
  return chunks;
}

export const textOfChunks = (chunks: readonly EngineChunk[]): string => chunks.map((c) => c.text).join('');

/** Polls `condition` every 5 ms; throws naming `what` after `timeoutMs`. */
export async function pollUntil(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
