/**
 * The OpenAI HTTP API's response shapes as this server writes them (the
 * subset it serves), plus RelayLLM's extension fields, which official clients
 * ignore: `usage.relay`, `delta.relay` / `choice.relay` on streamed chunks.
 * Field names are the wire's (snake_case).
 */

export type OpenAiFinishReason = 'stop' | 'length';

/** One LLM call of a generation (the gRPC API's RelayCallRecord, snake_case). */
export interface WireCallRecord {
  call_index: number;
  requested_n: number;
  granted_n: number;
  tokens_written: number;
  response_token_start: number;
  response_token_end: number;
  ended_generation: boolean;
  latency_ms: number | null;
  /** The request's confidence floor made this call, not an SLM command. */
  confidence_floor: boolean;
}

/** `usage.relay`: who wrote the answer and what the LLM cost. */
export interface WireRelayUsage {
  slm_tokens: number;
  llm_tokens: number;
  calls: number;
  /** ρ = llm_tokens / (slm_tokens + llm_tokens). */
  llm_token_ratio: number;
  malformed_commands: number;
  /** The relay's own finish reason: eos, llm_eos (the LLM ended the answer), length, stop. */
  finish_reason: string;
  call_records: WireCallRecord[];
}

/**
 * `usage.relay` of a response with several choices (`n` > 1): the counts summed over the choices, ρ of
 * the sums, and each choice's own usage (its finish reason and calls) in choice order.
 */
export interface WireRelayUsageOfChoices {
  slm_tokens: number;
  llm_tokens: number;
  calls: number;
  llm_token_ratio: number;
  malformed_commands: number;
  choices: WireRelayUsage[];
}

export interface WireUsage {
  /** The framed prompt's tokens as the SLM reads it (counted once for all choices); 0 where its ids are unknown (a text-only SLM: the engine tokenizes it). */
  prompt_tokens: number;
  /** Response tokens, SLM and LLM, command tokens included (summed over the choices). */
  completion_tokens: number;
  /** prompt_tokens + completion_tokens. */
  total_tokens: number;
  relay: WireRelayUsage | WireRelayUsageOfChoices;
}

/**
 * What a streamed delta (chat) or choice (completions) says besides its text:
 * a text piece's writer, or a call starting or ending.
 */
export type WireRelayDelta =
  /** `call`: the index of the call whose LLM tokens these are (LLM text only). */
  | { source: 'slm' | 'llm'; tokens: number; call?: number }
  | { event: 'relay_started'; call_index: number; requested_n: number; granted_n: number; confidence_floor: boolean }
  | { event: 'relay_finished'; call_index: number; tokens_written: number; latency_ms: number };

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: { role: 'assistant'; content: string }; finish_reason: OpenAiFinishReason; logprobs: null }>;
  usage: WireUsage;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string; relay?: WireRelayDelta };
    finish_reason: OpenAiFinishReason | null;
    logprobs: null;
  }>;
  /** With `stream_options.include_usage`: null on every chunk but the last one, which has no choices. */
  usage?: WireUsage | null;
}

export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: Array<{ index: number; text: string; finish_reason: OpenAiFinishReason | null; logprobs: null; relay?: WireRelayDelta }>;
  usage?: WireUsage | null;
}

/** OpenAI's error body. `relay_reason`: the RelayError reason (libs/relay-core errors/reasons.ts). */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null; relay_reason: string };
}

/** One entry of `GET /v1/models`: the relay pair as one model, its two models under `relayllm`. */
export interface WireModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: 'relayllm';
  /** The context window both models share (vLLM's name for it). */
  max_model_len: number;
  relayllm: {
    policies: Array<'relay' | 'slm_only' | 'llm_only'>;
    context_length: number;
    /** Whether token ids cross between the two models (one vocabulary) or text does. */
    ids_travel: boolean;
    slm: WireModelProfile;
    llm: WireModelProfile;
  };
}

export interface WireModelProfile {
  name: string;
  context_length: number;
  vocabulary_id: string;
  /** How the SLM writes `<call>n</call>`: as control tokens or as text. */
  command_syntax: 'token' | 'text';
}
