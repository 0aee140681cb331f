import {
  CancelledReason,
  FailedPreconditionReason,
  UnavailableReason,
  RelayError,
  type ChatTemplateSource,
  type Engine,
  type EngineChunk,
  type EngineRequest,
  type ModelDescriber,
  type ModelDescription,
} from '@relayllm/relay-core';
import { CompletionChunkReader, completionBody } from './completion-chunks';
import { describeServedModel, servedModelId, type ServerQuery } from './served-model';
import { sseEvents } from './sse-reader';

export interface OpenAiCompletionsEngineOptions {
  /** Server root, e.g. `http://127.0.0.1:8000` (requests go to `{baseUrl}/v1/completions`). */
  baseUrl: string;
  /** `model` of every request (the name the server serves); '' = the one model the server lists (asked at start()). */
  model: string;
  /** Sent as `Authorization: Bearer ...` when set. */
  apiKey?: string;
  /** Time allowed until the response headers arrive (default 30 s). */
  connectTimeoutMs?: number;
  /** Longest silence allowed between two reads of the streamed body (default 30 s). */
  idleTimeoutMs?: number;
  /** Longest SSE line accepted, in characters (default 64 Ki). */
  maxLineLength?: number;
  /** Most bytes read from one response (default 16 MiB). */
  maxBodyBytes?: number;
  /** Defaults to the global fetch (Node 20: undici). */
  fetch?: typeof fetch;
  /**
   * The model's chat template (the server does not say it): read from the
   * operator's tokenizer_config.json or .jinja file (front-door's chatTemplateFromFile).
   */
  chatTemplate?: ChatTemplateSource;
  /** Context length when the server does not report `max_model_len` (or a smaller one to use). */
  contextLength?: number;
}

const ERROR_BODY_CHARS = 512;

/** Ends a finished request's fetch; one shared reason, since abort() without one builds a DOMException each time. */
const REQUEST_DONE = RelayError.cancelled(CancelledReason.RELAY_ABORTED, 'the request is over');

/**
 * Engine over an OpenAI-compatible `/v1/completions` endpoint (vLLM, llama.cpp
 * server, ...), streaming. Text only: chunks carry `tokens: []` and a
 * `tokenCount`; `stopTokens` and `bannedTokens` cannot be expressed in the
 * server's vocabulary and are ignored (see relay-core's README). A non-zero
 * `callBias` is refused (FAILED_PRECONDITION CALL_BIAS_UNSUPPORTED) before
 * anything is sent: the server's `logit_bias` takes ids of a vocabulary this
 * engine does not know, and ignoring the knob would serve unbiased answers
 * as if biased. `reportProbabilities` asks for `logprobs`, and chunks then
 * carry their token's probability (a confidence floor reads them).
 *
 * Failures are RelayError `unavailable` (HTTP status, unreachable, timeout,
 * malformed or oversized stream), with the cause kept; an abort of `signal`
 * aborts the HTTP request (closing its connection) and ends the stream with
 * finish 'abort'.
 */
export class OpenAiCompletionsEngine implements Engine, ModelDescriber {
  private readonly url: string;
  private readonly shutdown = new AbortController();
  private closed = false;
  /** The model every request names: the configured one, or the server's only one once start() asked. */
  private model: string;

  constructor(readonly options: Readonly<OpenAiCompletionsEngineOptions>) {
    this.model = options.model;
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/v1/completions`;
  }

  /** Checks the configuration; connections are made per request (no probe: health is the pool's concern). */
  async start(): Promise<void> {
    if (this.closed) throw RelayError.unavailable(UnavailableReason.ENGINE_CLOSED, 'engine is closed');
    const protocol = new URL(this.url).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError(`baseUrl must be http(s): ${this.options.baseUrl}`);
    if (this.options.model === '') this.model = await servedModelId(this.servedModelQuery());
  }

  generate(request: EngineRequest, signal: AbortSignal): AsyncIterable<EngineChunk> {
    return this.run(request, signal);
  }

  /**
   * What the server says of the model (GET /v1/models: that it serves it,
   * vLLM's `max_model_len`) plus the operator's settings. Text only: commands
   * are text, no tokenizer, no end-of-turn ids (the server reports EOS as a finish).
   */
  describe(): Promise<ModelDescription> {
    return describeServedModel({ ...this.servedModelQuery(), chatTemplate: this.options.chatTemplate, contextLength: this.options.contextLength });
  }

  private servedModelQuery(): ServerQuery {
    return { baseUrl: this.options.baseUrl, model: this.model, headers: this.headers(), fetch: this.options.fetch ?? fetch, timeoutMs: this.options.connectTimeoutMs ?? 30_000 };
  }

  /** The server keeps nothing per sequence for this engine (each request carries its whole context). */
  release(): void {
    // nothing kept
  }

  /** Aborts the requests in flight. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.shutdown.abort();
  }

  private async *run(request: EngineRequest, signal: AbortSignal): AsyncGenerator<EngineChunk> {
    if (this.closed) throw RelayError.unavailable(UnavailableReason.ENGINE_CLOSED, 'engine is closed');
    if ((request.callBias ?? 0) !== 0) {
      throw RelayError.failedPrecondition(FailedPreconditionReason.CALL_BIAS_UNSUPPORTED,
        `callBias needs an SLM engine that can bias its tokens; ${this.url} is a text-only OpenAI-compatible server (serve the SLM from a GGUF to use it)`,
        { field: 'callBias' },
      );
    }
    if (signal.aborted) {
      yield { tokens: [], text: '', finish: 'abort' };
      return;
    }
    const timeout = new AbortController();
    // Aborted in `finally`: however the stream ends (consumer left early, error),
    // the HTTP request is not left running.
    const done = new AbortController();
    const httpSignal = AbortSignal.any([signal, timeout.signal, this.shutdown.signal, done.signal]);
    let timer: NodeJS.Timeout | undefined;
    const arm = (ms: number, what: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => timeout.abort(new Error(`no ${what} from ${this.url} within ${ms} ms`)), ms);
    };
    const idleMs = this.options.idleTimeoutMs ?? 30_000;
    try {
      arm(this.options.connectTimeoutMs ?? 30_000, 'response headers');
      const response = await (this.options.fetch ?? fetch)(this.url, {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify(completionBody(this.model, request)),
        signal: httpSignal,
      });
      arm(idleMs, 'data');
      await checkResponse(response, this.url);
      const reader = new CompletionChunkReader(request);
      const events = sseEvents(
        response.body as ReadableStream<Uint8Array>,
        { maxLineLength: this.options.maxLineLength ?? 65_536, maxBodyBytes: this.options.maxBodyBytes ?? 16 * 1024 * 1024 },
        () => arm(idleMs, 'data'),
      );
      for await (const data of events) {
        const chunk = reader.read(data);
        if (chunk !== undefined) yield chunk;
        // The finish is on the last chunk; whatever follows (usage, [DONE]) is not needed.
        if (chunk?.finish !== undefined || reader.done) return;
      }
      throw RelayError.unavailable(UnavailableReason.UPSTREAM_TRUNCATED, `stream from ${this.url} ended without finish_reason or [DONE]`);
    } catch (error) {
      if (signal.aborted) {
        yield { tokens: [], text: '', finish: 'abort' };
        return;
      }
      throw this.toRelayError(error, timeout.signal);
    } finally {
      clearTimeout(timer);
      done.abort(REQUEST_DONE);
    }
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
    if (this.options.apiKey !== undefined) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    return headers;
  }

  private toRelayError(error: unknown, timeout: AbortSignal): RelayError {
    if (error instanceof RelayError) return error;
    if (timeout.aborted) {
      const reason: unknown = timeout.reason;
      return RelayError.unavailable(UnavailableReason.UPSTREAM_TIMEOUT, reason instanceof Error ? reason.message : 'upstream timed out', { cause: error });
    }
    if (this.shutdown.signal.aborted) return RelayError.unavailable(UnavailableReason.ENGINE_CLOSED, 'engine closed during the request', { cause: error });
    const detail = causeChain(error);
    return RelayError.unavailable(UnavailableReason.UPSTREAM_UNREACHABLE, `request to ${this.url} failed: ${detail}`, { cause: error });
  }
}

async function checkResponse(response: Response, url: string): Promise<void> {
  if (!response.ok) {
    const shown = await bodySnippet(response);
    throw RelayError.unavailable(UnavailableReason.UPSTREAM_HTTP_ERROR, `HTTP ${response.status} from ${url}: ${shown}`, {
      cause: { status: response.status, body: shown },
    });
  }
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream') || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    throw RelayError.unavailable(UnavailableReason.UPSTREAM_MALFORMED, `expected a text/event-stream from ${url}, got "${type}"`);
  }
}

/** The start of an error body, read without trusting its size. */
async function bodySnippet(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length <= ERROR_BODY_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // what was read is enough for the message
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return text.length > ERROR_BODY_CHARS ? `${text.slice(0, ERROR_BODY_CHARS)}...` : text;
}

/**
 * "fetch failed" alone says nothing: undici puts the socket error in `cause`.
 * Duck-typed, since errors from Node's own fetch may come from another realm
 * (e.g. under Jest), where `instanceof Error` is false.
 */
function causeChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth += 1) {
    const message = typeof current === 'object' && 'message' in current ? String(current.message) : String(current);
    const code = typeof current === 'object' && 'code' in current ? ` (${String(current.code)})` : '';
    parts.push(`${message}${code}`);
    current = typeof current === 'object' && 'cause' in current ? current.cause : undefined;
  }
  return parts.join(': ');
}
