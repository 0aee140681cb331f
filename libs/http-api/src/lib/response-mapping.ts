/**
 * relay-core events -> OpenAI response objects. Pure mapping: one streamed
 * chunk per text event (an engine frame may carry several tokens), one
 * content-less chunk per call start and end (its `relay` field says which),
 * and the finish chunk; usage with the relay's own counts under `relay`.
 */
import type { CompletedEvent, RelayCallRecord, RelayFinishReason, RelayStreamEvent, RelayUsage } from '@relayllm/relay-core';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  OpenAiFinishReason,
  TextCompletion,
  WireCallRecord,
  WireRelayDelta,
  WireUsage,
} from './openai-wire';
import type { OpenAiEndpoint } from './request-mapping';

/** What every object of one response repeats. */
export interface ResponseIdentity {
  /** `chatcmpl-<request id>` or `cmpl-<request id>`. */
  id: string;
  /** Unix seconds. */
  created: number;
  model: string;
}

/** The relay ends on its EOS, the LLM's EOS or a stop string: all are OpenAI's `stop`. */
export function openAiFinishReason(reason: RelayFinishReason): OpenAiFinishReason {
  return reason === 'length' ? 'length' : 'stop';
}

function toWireCallRecord(record: RelayCallRecord): WireCallRecord {
  return {
    call_index: record.callIndex,
    requested_n: record.requestedN,
    granted_n: record.grantedN,
    tokens_written: record.tokensWritten,
    response_token_start: record.responseTokenStart,
    response_token_end: record.responseTokenEnd,
    ended_generation: record.endedGeneration,
    latency_ms: record.latencyMs ?? null,
    confidence_floor: record.origin === 'floor',
  };
}

export function toWireUsage(usage: RelayUsage, finishReason: RelayFinishReason): WireUsage {
  const promptTokens = usage.promptTokens ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: usage.responseTokens,
    total_tokens: promptTokens + usage.responseTokens,
    relay: {
      slm_tokens: usage.slmTokens,
      llm_tokens: usage.llmTokens,
      calls: usage.calls,
      llm_token_ratio: usage.llmTokenRatio,
      malformed_commands: usage.malformedCommands,
      finish_reason: finishReason,
      call_records: usage.callRecords.map(toWireCallRecord),
    },
  };
}

export function toChatCompletion(completed: CompletedEvent, identity: ResponseIdentity): ChatCompletion {
  return {
    ...identity,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: completed.text }, finish_reason: openAiFinishReason(completed.finishReason), logprobs: null }],
    usage: toWireUsage(completed.usage, completed.finishReason),
  };
}

export function toTextCompletion(completed: CompletedEvent, identity: ResponseIdentity): TextCompletion {
  return {
    ...identity,
    object: 'text_completion',
    choices: [{ index: 0, text: completed.text, finish_reason: openAiFinishReason(completed.finishReason), logprobs: null }],
    usage: toWireUsage(completed.usage, completed.finishReason),
  };
}

export type StreamChunk = ChatCompletionChunk | TextCompletion;

/**
 * The chunks of one streamed response, event by event. Remembers the call in
 * progress so that LLM text says which call wrote it.
 */
export class ChunkStream {
  private callInProgress: number | undefined;

  constructor(
    private readonly endpoint: OpenAiEndpoint,
    private readonly identity: ResponseIdentity,
    private readonly includeUsage: boolean,
  ) {}

  /** Chat streams open with the assistant's role, as OpenAI's do. */
  opening(): StreamChunk[] {
    return this.endpoint === 'chat' ? [this.chunk({ role: 'assistant', content: '' }, null)] : [];
  }

  chunksOf(event: RelayStreamEvent): StreamChunk[] {
    switch (event.type) {
      case 'text': {
        const call = event.source === 'LLM' ? this.callInProgress : undefined;
        const relay: WireRelayDelta = { source: event.source === 'LLM' ? 'llm' : 'slm', tokens: event.tokenCount, ...(call === undefined ? {} : { call }) };
        return [this.chunk({ content: event.text, relay }, null)];
      }
      case 'relayStarted':
        this.callInProgress = event.callIndex;
        return [
          this.chunk(
            {
              relay: {
                event: 'relay_started',
                call_index: event.callIndex,
                requested_n: event.requestedN,
                granted_n: event.grantedN,
                confidence_floor: event.origin === 'floor',
              },
            },
            null,
          ),
        ];
      case 'relayFinished':
        this.callInProgress = undefined;
        return [this.chunk({ relay: { event: 'relay_finished', call_index: event.callIndex, tokens_written: event.tokensWritten, latency_ms: event.latencyMs } }, null)];
      case 'completed':
        return this.closing(event);
    }
  }

  private closing(event: CompletedEvent): StreamChunk[] {
    const finish = this.chunk({}, openAiFinishReason(event.finishReason));
    if (!this.includeUsage) return [finish];
    return [finish, { ...this.emptyChunk(), usage: toWireUsage(event.usage, event.finishReason) }];
  }

  private chunk(delta: { role?: 'assistant'; content?: string; relay?: WireRelayDelta }, finishReason: OpenAiFinishReason | null): StreamChunk {
    const usage = this.includeUsage ? { usage: null } : {};
    if (this.endpoint === 'chat') {
      return { ...this.identity, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }], ...usage };
    }
    const relay = delta.relay === undefined ? {} : { relay: delta.relay };
    return { ...this.identity, object: 'text_completion', choices: [{ index: 0, text: delta.content ?? '', finish_reason: finishReason, logprobs: null, ...relay }], ...usage };
  }

  /** The usage chunk: no choices, as OpenAI sends it. */
  private emptyChunk(): StreamChunk {
    return this.endpoint === 'chat'
      ? { ...this.identity, object: 'chat.completion.chunk', choices: [] }
      : { ...this.identity, object: 'text_completion', choices: [] };
  }
}

/** One server-sent event carrying a JSON object. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** The end of an OpenAI stream. */
export const SSE_DONE = 'data: [DONE]\n\n';
