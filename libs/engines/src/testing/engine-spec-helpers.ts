import type { EngineRequest } from '@relayllm/relay-core';
import type { LlamaEngineChunk } from '../lib/llama/output-assembler';

/** Spec helpers for engines that stream LlamaEngineChunks (spec-only; not exported from the library index). */

export interface Collected {
  tokens: number[];
  text: string;
  finish: string | undefined;
  chunks: LlamaEngineChunk[];
}

export function request(sequenceId: string, tokens: readonly number[], over: Partial<EngineRequest> = {}): EngineRequest {
  return {
    sequenceId,
    turn: 0,
    context: { text: String.fromCharCode(...tokens.filter((t) => t < 256)), tokens },
    appendOnly: false,
    maxTokens: 16,
    sampling: { temperature: 0 },
    stopTokens: [],
    stop: [],
    bannedTokens: [],
    ...over,
  };
}

export async function collect(
  stream: AsyncIterable<LlamaEngineChunk>,
  opts: { stopAfter?: number; onChunk?: (chunk: LlamaEngineChunk) => void } = {},
): Promise<Collected> {
  const out: Collected = { tokens: [], text: '', finish: undefined, chunks: [] };
  for await (const chunk of stream) {
    out.chunks.push(chunk);
    opts.onChunk?.(chunk);
    out.tokens.push(...chunk.tokens);
    out.text += chunk.text;
    if (chunk.finish !== undefined) out.finish = chunk.finish;
    if (opts.stopAfter !== undefined && out.tokens.length >= opts.stopAfter) break;
  }
  return out;
}

export const bytes = (text: string): number[] => [...Buffer.from(text, 'utf8')];
