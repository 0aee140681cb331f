/**
 * The little an HTTP framework must give the route handlers: the request's
 * method, path, headers and parsed body, and a way to answer at once or as a
 * stream. The Fastify plugin (fastify-plugin.ts) implements it; any other host
 * (NestJS's Fastify adapter, a test) can too.
 */

export interface HttpRequestView {
  readonly method: string;
  /** The path, without the query string. */
  readonly path: string;
  /** The first value of a request header, by lower-case name. */
  header(name: string): string | undefined;
  /** The parsed JSON body; undefined when there is none. */
  readonly body: unknown;
}

export interface HttpResponder {
  /** The whole response at once. */
  send(status: number, headers: Readonly<Record<string, string>>, body: string): void;
  /** Starts a streamed response: the status and headers now, the body by `write`. */
  open(status: number, headers: Readonly<Record<string, string>>): void;
  /** Writes to a started stream; resolves once more may be written (or the client is gone). */
  write(chunk: string): Promise<void>;
  /** Ends a started stream. */
  end(): void;
  /** Aborted when the client goes away before the response ended. */
  readonly disconnected: AbortSignal;
}

/** A route: the method, the path (Fastify syntax: `/v1/models/:model`) and its handler. */
export interface HttpRoute {
  method: 'GET' | 'POST';
  path: string;
  handle(request: HttpRequestView, response: HttpResponder): Promise<void>;
}

export const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json; charset=utf-8' };

/** Server-sent events, unbuffered by proxies (nginx honours x-accel-buffering). */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** A JSON response. */
export function sendJson(response: HttpResponder, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  response.send(status, { ...JSON_HEADERS, ...headers }, JSON.stringify(body));
}
