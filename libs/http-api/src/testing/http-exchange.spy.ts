import type { HttpRequestView, HttpResponder } from '../lib/http-exchange';

/** TEST DOUBLE: a request as a route handler sees it. */
export function httpRequest(init: { method?: string; path: string; headers?: Record<string, string>; body?: unknown }): HttpRequestView {
  const headers = new Map(Object.entries(init.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: init.method ?? 'POST', path: init.path, header: (name) => headers.get(name), body: init.body };
}

/**
 * TEST DOUBLE: records what a route handler answered, whole or streamed.
 * `disconnect()` plays a client that goes away; `onWrite` runs after each write.
 */
export class HttpResponderSpy implements HttpResponder {
  status: number | undefined;
  headers: Record<string, string> = {};
  body = '';
  /** Each `write`, in order. */
  readonly writes: string[] = [];
  streamed = false;
  ended = false;
  onWrite: ((chunk: string) => void) | undefined;
  private readonly gone = new AbortController();

  get disconnected(): AbortSignal {
    return this.gone.signal;
  }

  disconnect(): void {
    this.gone.abort();
  }

  send(status: number, headers: Readonly<Record<string, string>>, body: string): void {
    if (this.status !== undefined) throw new Error('answered twice');
    this.status = status;
    this.headers = { ...headers };
    this.body = body;
    this.ended = true;
  }

  open(status: number, headers: Readonly<Record<string, string>>): void {
    if (this.status !== undefined) throw new Error('answered twice');
    this.status = status;
    this.headers = { ...headers };
    this.streamed = true;
  }

  async write(chunk: string): Promise<void> {
    if (!this.streamed || this.ended) throw new Error('write outside an open stream');
    this.writes.push(chunk);
    this.body += chunk;
    this.onWrite?.(chunk);
  }

  end(): void {
    this.ended = true;
  }

  /** The body as JSON (a whole response). */
  json(): any { // eslint-disable-line @typescript-eslint/no-explicit-any
    return JSON.parse(this.body);
  }

  /** The `data:` payloads of a streamed body, `[DONE]` as the string. */
  events(): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any
    return this.body
      .split('\n\n')
      .filter((event) => event.startsWith('data: '))
      .map((event) => event.slice('data: '.length))
      .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
  }
}
