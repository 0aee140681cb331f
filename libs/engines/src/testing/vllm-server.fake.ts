import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

/**
 * FAKE vLLM server, for contract tests only: an HTTP server on 127.0.0.1
 * (ephemeral port) that answers POST /v1/completions with `stream: true` the
 * way vLLM's OpenAI-compatible server does, replaying scripted outputs:
 *
 *   data: {"id":"cmpl-..","object":"text_completion","created":..,"model":"..",
 *          "choices":[{"index":0,"text":"..","logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}
 *   (with `logprobs` in the request: {"tokens":[".."],"token_logprobs":[-0.1],"top_logprobs":[..],"text_offset":[..]})
 *   ... one event per token, the last one with finish_reason ("stop" | "length")
 *   and stop_reason (the matched stop string, null for EOS) ...
 *   data: [DONE]
 *
 * Like vLLM it honours `max_tokens` (finish "length") and `stop` (the matched
 * string is cut from the output, finish "stop"). Errors are vLLM's JSON error
 * body `{object: "error", message, type, code}`. Every request is recorded,
 * including whether the client closed the connection before the response ended.
 */
export interface FakeCompletion {
  /** Output tokens, one SSE event each; without a stop/length cut the model then writes EOS. */
  tokens: string[];
  /** Pause before each event, in ms. */
  delayMs?: number;
  /** Stop writing after this many token events, keeping the connection open. */
  hangAfter?: number;
  /** Close the response after this many token events (no finish_reason, no [DONE]). */
  dropAfter?: number;
  /** Answer with this HTTP status and vLLM's error body instead of a stream. */
  status?: number;
  /** Raw text written into the stream before the token events (e.g. a malformed line). */
  raw?: string;
  /** Behave like a plain OpenAI server: no `stop_reason` field. */
  omitStopReason?: boolean;
  /** Cumulative `usage` on every event (vLLM's continuous_usage_stats). */
  usage?: boolean;
  /** The probability of each token: sent as its `logprobs` (natural log) when the request asks for `logprobs`. */
  probabilities?: number[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Resolves when the client closed the connection before the response was complete. */
  closedEarly: Promise<void>;
  clientClosedEarly: boolean;
}

export class FakeVllmServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: FakeCompletion[] = [];
  private counter = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly model: string,
  ) {}

  /** What GET /v1/models says of the model: vLLM's `max_model_len` (left out when undefined). */
  maxModelLen: number | undefined = undefined;

  static async start(model = 'fake-model'): Promise<FakeVllmServer> {
    const holder: { fake?: FakeVllmServer } = {};
    const server = createServer((req, res) => void holder.fake?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    holder.fake = new FakeVllmServer(server, `http://127.0.0.1:${port}`, model);
    return holder.fake;
  }

  /** Queues the outputs of the next requests, one per request. */
  script(...outputs: FakeCompletion[]): void {
    this.queue.push(...outputs);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      // recorded as {}; answered below
    }
    let markClosed = (): void => undefined;
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body,
      clientClosedEarly: false,
      closedEarly: new Promise<void>((resolve) => (markClosed = resolve)),
    };
    this.requests.push(record);
    res.on('close', () => {
      if (!res.writableFinished) {
        record.clientClosedEarly = true;
        markClosed();
      }
    });
    if (req.method === 'GET' && req.url === '/v1/models') return this.models(res);
    if (req.method !== 'POST' || req.url !== '/v1/completions') return this.error(res, 404, 'NotFoundError', `no route ${req.url}`);
    if (body['stream'] !== true) return this.error(res, 400, 'BadRequestError', 'this fake only streams');
    const output = this.queue.shift();
    if (output === undefined) return this.error(res, 500, 'InternalServerError', 'fake vLLM: no scripted output');
    if (output.status !== undefined) return this.error(res, output.status, 'InternalServerError', 'scripted failure');
    await this.stream(res, body, output);
  }

  private async stream(res: ServerResponse, body: Record<string, unknown>, output: FakeCompletion): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    if (output.raw !== undefined) res.write(output.raw);
    const { tokens, finishReason, stopReason } = cut(output.tokens, body);
    const id = `cmpl-${++this.counter}`;
    const created = Math.floor(Date.now() / 1000);
    const asked = typeof body['logprobs'] === 'number';
    const event = (text: string, finish: string | null, stop: string | null, n: number): string => {
      const p = output.probabilities?.[n - 1];
      const offset = tokens.slice(0, Math.max(0, n - 1)).join('').length;
      const logprobs = asked && text !== '' && p !== undefined ? { tokens: [text], token_logprobs: [Math.log(p)], top_logprobs: [{ [text]: Math.log(p) }], text_offset: [offset] } : null;
      const choice: Record<string, unknown> = { index: 0, text, logprobs, finish_reason: finish };
      if (output.omitStopReason !== true) choice['stop_reason'] = stop;
      const usage = output.usage === true ? { prompt_tokens: 1, completion_tokens: n, total_tokens: n + 1 } : null;
      return `data: ${JSON.stringify({ id, object: 'text_completion', created, model: this.model, choices: [choice], usage })}\n\n`;
    };
    for (const [i, text] of tokens.entries()) {
      if (output.hangAfter === i) return; // leave the connection open, silent
      if (output.dropAfter === i) return void res.end();
      if (output.delayMs !== undefined) await sleep(output.delayMs);
      if (res.destroyed) return;
      const last = i === tokens.length - 1;
      res.write(event(text, last ? finishReason : null, last ? stopReason : null, i + 1));
    }
    if (tokens.length === 0) res.write(event('', finishReason, stopReason, 0));
    res.end('data: [DONE]\n\n');
  }

  /** vLLM's model list: one entry, with `max_model_len` when set. */
  private models(res: ServerResponse): void {
    const entry: Record<string, unknown> = { id: this.model, object: 'model', created: 0, owned_by: 'vllm', root: this.model, parent: null };
    if (this.maxModelLen !== undefined) entry['max_model_len'] = this.maxModelLen;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [entry] }));
  }

  private error(res: ServerResponse, status: number, type: string, message: string): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'error', message, type, param: null, code: status }));
  }
}

/** Applies max_tokens and stop strings like vLLM: the output ends at the first stop match, which is dropped. */
function cut(tokens: readonly string[], body: Record<string, unknown>): { tokens: string[]; finishReason: string; stopReason: string | null } {
  const max = typeof body['max_tokens'] === 'number' ? body['max_tokens'] : 16;
  const stops = Array.isArray(body['stop']) ? body['stop'].filter((s): s is string => typeof s === 'string' && s !== '') : [];
  const out: string[] = [];
  let text = '';
  for (const token of tokens.slice(0, max)) {
    text += token;
    const hits = stops.map((s) => ({ s, at: text.indexOf(s) })).filter((h) => h.at >= 0);
    if (hits.length > 0) {
      const first = hits.reduce((a, b) => (b.at < a.at ? b : a));
      // Keep exactly the text before the match, cutting the token it starts in.
      let room = first.at;
      const kept: string[] = [];
      for (const piece of [...out, token]) {
        if (room <= 0) break;
        kept.push(piece.slice(0, room));
        room -= piece.length;
      }
      return { tokens: kept, finishReason: 'stop', stopReason: first.s };
    }
    out.push(token);
  }
  return { tokens: out, finishReason: tokens.length >= max ? 'length' : 'stop', stopReason: null };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
