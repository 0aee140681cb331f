import { UnavailableReason, RelayError, type EngineChunk, type EngineFinish, type EngineRequest } from '@relayllm/relay-core';

/** The body of POST /v1/completions for one EngineRequest (only the fields that are set). */
export function completionBody(model: string, request: EngineRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {
    model,
    prompt: request.context.text,
    max_tokens: request.maxTokens,
    stream: true,
  };
  const { temperature, topP, seed } = request.sampling;
  if (temperature !== undefined) body['temperature'] = temperature;
  if (topP !== undefined) body['top_p'] = topP;
  if (seed !== undefined) body['seed'] = seed;
  // Forwarded as given: a relay that needs the SLM to stop at `</call>` puts it in `stop`.
  if (request.stop.length > 0) body['stop'] = [...request.stop];
  // The sampled token's log-probability comes with every token once any is asked for (OpenAI's legacy `logprobs`).
  if (request.reportProbabilities === true) body['logprobs'] = 1;
  return body;
}

/**
 * Reads the `data` of successive SSE events of an OpenAI-compatible streaming
 * completion (vLLM's format: `{id, object: "text_completion", created, model,
 * choices: [{index, text, logprobs, finish_reason, stop_reason}], usage}`)
 * and turns each into an EngineChunk.
 */
export class CompletionChunkReader {
  /** `data: [DONE]` was read: the server ended the stream properly. */
  done = false;
  private counted = 0;

  constructor(private readonly request: EngineRequest) {}

  /** The chunk for one event, or undefined for events without output (usage-only, empty deltas, [DONE]). */
  read(data: string): EngineChunk | undefined {
    if (data.trim() === '[DONE]') {
      this.done = true;
      return undefined;
    }
    const payload = parse(data);
    const error = payload['error'];
    if (error !== undefined || payload['object'] === 'error') {
      const message = isRecord(error) ? error['message'] : payload['message'];
      throw RelayError.unavailable(UnavailableReason.UPSTREAM_ERROR, `upstream reported an error: ${String(message ?? 'unknown')}`);
    }
    const choices = payload['choices'];
    if (!Array.isArray(choices)) throw malformed('no "choices" array', data);
    const choice: unknown = choices.find((c) => isRecord(c) && (c['index'] ?? 0) === 0);
    if (choice === undefined) return undefined; // e.g. the usage-only chunk of stream_options.include_usage
    if (!isRecord(choice)) throw malformed('a choice is not an object', data);
    const text = choice['text'] ?? '';
    if (typeof text !== 'string') throw malformed('"text" is not a string', data);
    const chunk: EngineChunk = { tokens: [], text, tokenCount: this.tokenCount(payload, text) };
    const probabilities = tokenProbabilities(choice['logprobs'], chunk.tokenCount ?? 0);
    if (probabilities !== undefined) chunk.probabilities = probabilities;
    const finish = this.finish(choice);
    if (finish !== undefined) chunk.finish = finish;
    return text === '' && finish === undefined ? undefined : chunk;
  }

  /** One token per delta (vLLM/OpenAI stream one token per chunk), unless `usage` says better. */
  private tokenCount(payload: Record<string, unknown>, text: string): number {
    const usage = payload['usage'];
    const total = isRecord(usage) ? usage['completion_tokens'] : undefined;
    const count = typeof total === 'number' && total >= this.counted ? total - this.counted : text === '' ? 0 : 1;
    this.counted += count;
    return count;
  }

  /**
   * finish_reason -> EngineFinish. 'length' is 'length'. 'stop' covers EOS,
   * stop strings and stop ids alike; vLLM's `stop_reason` (the matched string
   * or id, null for EOS) tells them apart. A server without that field: 'eos'
   * when the request had no stop strings, else 'stop' (it cannot be known).
   * 'abort' is 'abort'; anything else (content_filter...) is 'stop'.
   */
  private finish(choice: Record<string, unknown>): EngineFinish | undefined {
    const reason = choice['finish_reason'];
    if (reason === null || reason === undefined) return undefined;
    if (reason === 'length') return 'length';
    if (reason === 'abort') return 'abort';
    if (reason !== 'stop') return 'stop';
    if ('stop_reason' in choice) return choice['stop_reason'] === null || choice['stop_reason'] === undefined ? 'eos' : 'stop';
    return this.request.stop.length === 0 ? 'eos' : 'stop';
  }
}

/**
 * The sampled tokens' probabilities from a choice's `logprobs` (OpenAI's
 * legacy completions shape, which vLLM and SGLang stream: `token_logprobs`,
 * natural logs), one per token the chunk stands for; undefined when the
 * server sent none, or not one finite value per token.
 */
function tokenProbabilities(logprobs: unknown, tokenCount: number): number[] | undefined {
  if (!isRecord(logprobs) || !Array.isArray(logprobs['token_logprobs'])) return undefined;
  const values: unknown[] = logprobs['token_logprobs'];
  if (tokenCount === 0 || values.length !== tokenCount) return undefined;
  if (!values.every((v): v is number => typeof v === 'number' && !Number.isNaN(v) && v <= 0)) return undefined;
  return values.map((v) => Math.exp(v));
}

function parse(data: string): Record<string, unknown> {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch (error) {
    throw malformed('data is not JSON', data, error);
  }
  if (!isRecord(payload)) throw malformed('data is not a JSON object', data);
  return payload;
}

function malformed(what: string, data: string, cause?: unknown): RelayError {
  const shown = data.length > 200 ? `${data.slice(0, 200)}...` : data;
  return RelayError.unavailable(UnavailableReason.UPSTREAM_MALFORMED, `malformed SSE event from upstream (${what}): ${JSON.stringify(shown)}`, {
    cause,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
