/**
 * relay-core events -> OpenAI response objects. Pure mapping: one streamed
 * chunk per text event (an engine frame may carry several tokens), one
 * content-less chunk per call start and end (its `relay` field says which),
 * and the finish chunk, each for its choice (`n` > 1: one generation per
 * choice); usage with the relay's own counts under `relay`.
 */
import { llmTokenRatio, type CompletedEvent, type RelayCallRecord, type RelayFinishReason, type RelayStreamEvent, type RelayUsage } from '@relayllm/relay-core';
import type {
  ChatCompletion,
  WireRelayUsage,
  WireRelayUsageOfChoices,
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

function toWireRelayUsage(usage: RelayUsage, finishReason: RelayFinishReason): WireRelayUsage {
  return {
    slm_tokens: usage.slmTokens,
    llm_tokens: usage.llmTokens,
    calls: usage.calls,
    llm_token_ratio: usage.llmTokenRatio,
    malformed_commands: usage.malformedCommands,
    finish_reason: finishReason,
    call_records: usage.callRecords.map(toWireCallRecord),
  };
}

/** The usage of one generation. */
export function toWireUsage(usage: RelayUsage, finishReason: RelayFinishReason): WireUsage {
  const promptTokens = usage.promptTokens ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: usage.responseTokens,
    total_tokens: promptTokens + usage.responseTokens,
    relay: toWireRelayUsage(usage, finishReason),
  };
}

/**
 * The usage of a response: one generation's, or with several choices their sums and each one's own.
 * Each prompt is counted once: the choices come `choicesPerPrompt` to a prompt (a completions batch), or all answer one.
 */
export function toChoicesUsage(completed: readonly CompletedEvent[], choicesPerPrompt = completed.length): WireUsage {
  if (completed.length === 1) return toWireUsage(completed[0].usage, completed[0].finishReason);
  const sum = (of: (usage: RelayUsage) => number): number => completed.reduce((total, event) => total + of(event.usage), 0);
  const promptTokens = completed.reduce((total, event, index) => total + (index % choicesPerPrompt === 0 ? (event.usage.promptTokens ?? 0) : 0), 0);
  const slmTokens = sum((u) => u.slmTokens);
  const llmTokens = sum((u) => u.llmTokens);
  const relay: WireRelayUsageOfChoices = {
    slm_tokens: slmTokens,
    llm_tokens: llmTokens,
    calls: sum((u) => u.calls),
    llm_token_ratio: llmTokenRatio(llmTokens, slmTokens + llmTokens),
    malformed_commands: sum((u) => u.malformedCommands),
    choices: completed.map((event) => toWireRelayUsage(event.usage, event.finishReason)),
  };
  return { prompt_tokens: promptTokens, completion_tokens: slmTokens + llmTokens, total_tokens: promptTokens + slmTokens + llmTokens, relay };
}

/** A chat completion of its choices, choice i from the i-th completed generation. */
export function toChatCompletion(completed: readonly CompletedEvent[], identity: ResponseIdentity): ChatCompletion {
  return {
    ...identity,
    object: 'chat.completion',
    choices: completed.map((event, index) => ({
      index,
      message: { role: 'assistant', content: event.text },
      finish_reason: openAiFinishReason(event.finishReason),
      logprobs: null,
    })),
    usage: toChoicesUsage(completed),
  };
}

/** A text completion of its choices, choice i from the i-th completed generation (`choicesPerPrompt`: as toChoicesUsage). */
export function toTextCompletion(completed: readonly CompletedEvent[], identity: ResponseIdentity, choicesPerPrompt = completed.length): TextCompletion {
  return {
    ...identity,
    object: 'text_completion',
    choices: completed.map((event, index) => ({ index, text: event.text, finish_reason: openAiFinishReason(event.finishReason), logprobs: null })),
    usage: toChoicesUsage(completed, choicesPerPrompt),
  };
}

/** The last chunk of a stream with `include_usage`: no choices, as OpenAI sends it, and the response's usage. */
export function usageChunk(endpoint: OpenAiEndpoint, identity: ResponseIdentity, completed: readonly CompletedEvent[], choicesPerPrompt = completed.length): StreamChunk {
  const usage = toChoicesUsage(completed, choicesPerPrompt);
  return endpoint === 'chat'
    ? { ...identity, object: 'chat.completion.chunk', choices: [], usage }
    : { ...identity, object: 'text_completion', choices: [], usage };
}

export type StreamChunk = ChatCompletionChunk | TextCompletion;

/**
 * The chunks of one choice of a streamed response, event by event. Remembers
 * the call in progress so that LLM text says which call wrote it. The usage
 * chunk, one for all choices, is `usageChunk`'s.
 */
export class ChunkStream {
  private callInProgress: number | undefined;

  constructor(
    private readonly endpoint: OpenAiEndpoint,
    private readonly identity: ResponseIdentity,
    private readonly includeUsage: boolean,
    private readonly index = 0,
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
        return [this.chunk({}, openAiFinishReason(event.finishReason))];
    }
  }

  private chunk(delta: { role?: 'assistant'; content?: string; relay?: WireRelayDelta }, finishReason: OpenAiFinishReason | null): StreamChunk {
    const usage = this.includeUsage ? { usage: null } : {};
    if (this.endpoint === 'chat') {
      return { ...this.identity, object: 'chat.completion.chunk', choices: [{ index: this.index, delta, finish_reason: finishReason, logprobs: null }], ...usage };
    }
    const relay = delta.relay === undefined ? {} : { relay: delta.relay };
    return {
      ...this.identity,
      object: 'text_completion',
      choices: [{ index: this.index, text: delta.content ?? '', finish_reason: finishReason, logprobs: null, ...relay }],
      ...usage,
    };
  }
}

/** One server-sent event carrying a JSON object. */
export function sseData(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}

/** The end of an OpenAI stream. */
export const SSE_DONE = 'data: [DONE]\n\n';
