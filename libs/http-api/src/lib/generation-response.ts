import { CancelledReason, InternalReason, RelayError, type CompletedEvent, type RelayStreamEvent } from '@relayllm/relay-core';
import { SSE_HEADERS, type HttpResponder } from './http-exchange';
import type { ParsedGeneration } from './request-mapping';
import { ChunkStream, sseData, SSE_DONE, toChatCompletion, toTextCompletion, type ResponseIdentity } from './response-mapping';

/** The error to report for a generation whose signal was aborted (the client left, or the server is shutting down). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof RelayError ? signal.reason : RelayError.cancelled(CancelledReason.CLIENT_CANCELLED, 'the request was cancelled');
}

const noCompletion = (): RelayError => RelayError.internal(InternalReason.HANDLER_NO_COMPLETION, 'the generation ended without completing');

/**
 * Writes one generation as its response: the whole object (`stream: false`)
 * or server-sent events. The stream opens with the first event, so a request
 * the front door refuses (it throws before any event) still gets its HTTP
 * status; `opened` tells the caller whether an error must go into the stream.
 */
export class GenerationResponse {
  opened = false;

  constructor(
    private readonly response: HttpResponder,
    private readonly parsed: ParsedGeneration,
    private readonly identity: ResponseIdentity,
    private readonly headers: Readonly<Record<string, string>>,
  ) {}

  async write(events: AsyncIterable<RelayStreamEvent>, signal: AbortSignal): Promise<void> {
    if (this.parsed.stream) await this.stream(events, signal);
    else await this.whole(events, signal);
  }

  /** A refusal or failure: its status and body before the stream opened, an error event in it after (OpenAI's clients raise it). */
  async fail(status: number, headers: Readonly<Record<string, string>>, body: unknown): Promise<void> {
    if (this.response.disconnected.aborted) return;
    if (!this.opened) {
      this.response.send(status, { ...this.headers, ...headers, 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(body));
      return;
    }
    await this.response.write(sseData(body));
    this.response.end();
  }

  private async whole(events: AsyncIterable<RelayStreamEvent>, signal: AbortSignal): Promise<void> {
    let completed: CompletedEvent | undefined;
    for await (const event of events) {
      if (event.type === 'completed') completed = event;
    }
    if (signal.aborted) throw abortReason(signal);
    if (completed === undefined) throw noCompletion();
    const body = this.parsed.endpoint === 'chat' ? toChatCompletion(completed, this.identity) : toTextCompletion(completed, this.identity);
    this.response.send(200, { ...this.headers, 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(body));
  }

  private async stream(events: AsyncIterable<RelayStreamEvent>, signal: AbortSignal): Promise<void> {
    const chunks = new ChunkStream(this.parsed.endpoint, this.identity, this.parsed.includeUsage);
    let completed = false;
    for await (const event of events) {
      // Leaving the loop closes the front door's iterator, which stops the engines.
      if (signal.aborted) break;
      if (!this.opened) {
        this.response.open(200, { ...this.headers, ...SSE_HEADERS });
        this.opened = true;
        for (const chunk of chunks.opening()) await this.response.write(sseData(chunk));
      }
      for (const chunk of chunks.chunksOf(event)) await this.response.write(sseData(chunk));
      if (event.type === 'completed') {
        completed = true;
        break;
      }
    }
    if (signal.aborted) throw abortReason(signal);
    if (!completed) throw noCompletion();
    await this.response.write(SSE_DONE);
    this.response.end();
  }
}
