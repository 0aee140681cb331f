import { chunkTokenCount, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';

/** The tokens a generate passed on so far: replayed as context when it moves to another worker. */
export class YieldedTokens {
  text = '';
  tokens: number[] = [];
  count = 0;
  idsKnown = true;

  add(chunk: EngineChunk): void {
    this.text += chunk.text;
    this.count += chunkTokenCount(chunk);
    if (chunk.tokens.length === 0 && chunk.text !== '') this.idsKnown = false;
    this.tokens.push(...chunk.tokens);
  }
}

/** The request that continues a generate elsewhere: its context plus what was yielded, from scratch, maxTokens reduced. */
export function replayRequest(request: EngineRequest, yielded: Pick<YieldedTokens, 'text' | 'tokens' | 'count' | 'idsKnown'>): EngineRequest {
  const context: EngineRequest['context'] = { text: request.context.text + yielded.text };
  if (request.context.tokens !== undefined && yielded.idsKnown) context.tokens = [...request.context.tokens, ...yielded.tokens];
  const replay: EngineRequest = { ...request, context, appendOnly: false, maxTokens: request.maxTokens - yielded.count };
  delete replay.appendFrom;
  return replay;
}
