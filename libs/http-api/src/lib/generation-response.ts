import { CancelledReason, InternalReason, RelayError, type CompletedEvent, type RelayRequest, type RelayStreamEvent } from '@relayllm/relay-core';
import { choiceRequest, mergeChoices, type ChoiceEvent } from './choices';
import { SSE_HEADERS, type HttpResponder } from './http-exchange';
import type { ParsedGeneration } from './request-mapping';
import { ChunkStream, sseData, SSE_DONE, toChatCompletion, toTextCompletion, usageChunk, type ResponseIdentity } from './response-mapping';

/** Starts one generation at the front door: its events, stopped by `signal`. */
export type StartGeneration = (request: RelayRequest, signal: AbortSignal) => AsyncIterable<RelayStreamEvent>;

/** The error to report for a generation whose signal was aborted (the client left, or the server is shutting down). */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason instanceof RelayError ? signal.reason : RelayError.cancelled(CancelledReason.CLIENT_CANCELLED, 'the request was cancelled');
}

const noCompletion = (): RelayError => RelayError.internal(InternalReason.HANDLER_NO_COMPLETION, 'the generation ended without completing');

/**
 * Writes a request's generations (one per choice) as its response: the whole
 * object (`stream: false`) or server-sent events. The stream opens with the
 * first event, so a request the front door refuses (it throws before any
 * event) still gets its HTTP status; `opened` tells the caller whether an
 * error must go into the stream. A choice that fails fails the response and
 * stops the other choices.
 */
export class GenerationResponse {
  opened = false;

  constructor(
    private readonly response: HttpResponder,
    private readonly parsed: ParsedGeneration,
    private readonly identity: ResponseIdentity,
    private readonly headers: Readonly<Record<string, string>>,
  ) {}

  async write(start: StartGeneration, signal: AbortSignal): Promise<void> {
    const choices = new AbortController();
    const stopChoices = (): void => choices.abort(abortReason(signal));
    signal.addEventListener('abort', stopChoices, { once: true });
    if (signal.aborted) stopChoices();
    try {
      const count = this.parsed.choices;
      // One choice runs on the request's own signal, as it always has; several share one they can all be stopped by.
      const shared = count === 1 ? signal : choices.signal;
      const streams = Array.from({ length: count }, (_, index) => start(choiceRequest(this.parsed, index), shared));
      const events = mergeChoices(streams, () => choices.abort(RelayError.cancelled(CancelledReason.RELAY_ABORTED, 'the request ended before this choice did (another choice failed)')));
      if (this.parsed.stream) await this.stream(events, signal);
      else await this.whole(events, signal);
    } finally {
      signal.removeEventListener('abort', stopChoices);
    }
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

  private async whole(events: AsyncIterable<ChoiceEvent>, signal: AbortSignal): Promise<void> {
    const completed: CompletedEvent[] = [];
    for await (const { index, event } of events) {
      if (event.type === 'completed') completed[index] = event;
    }
    if (signal.aborted) throw abortReason(signal);
    const all = this.allCompleted(completed);
    const body = this.parsed.endpoint === 'chat' ? toChatCompletion(all, this.identity) : toTextCompletion(all, this.identity, this.parsed.choicesPerPrompt);
    this.response.send(200, { ...this.headers, 'content-type': 'application/json; charset=utf-8' }, JSON.stringify(body));
  }

  private async stream(events: AsyncIterable<ChoiceEvent>, signal: AbortSignal): Promise<void> {
    const { endpoint, includeUsage, choices } = this.parsed;
    const chunks = Array.from({ length: choices }, (_, index) => new ChunkStream(endpoint, this.identity, includeUsage, index));
    const completed: CompletedEvent[] = [];
    for await (const { index, event } of events) {
      // Leaving the loop closes the front door's iterators, which stops the engines.
      if (signal.aborted) break;
      if (!this.opened) {
        this.response.open(200, { ...this.headers, ...SSE_HEADERS });
        this.opened = true;
        for (const chunk of chunks.flatMap((choice) => choice.opening())) await this.response.write(sseData(chunk));
      }
      for (const chunk of chunks[index].chunksOf(event)) await this.response.write(sseData(chunk));
      if (event.type === 'completed') completed[index] = event;
    }
    if (signal.aborted) throw abortReason(signal);
    const all = this.allCompleted(completed);
    if (includeUsage) await this.response.write(sseData(usageChunk(endpoint, this.identity, all, this.parsed.choicesPerPrompt)));
    await this.response.write(SSE_DONE);
    this.response.end();
  }

  /** Every choice's completion, in choice order; a generation that ended without one is an internal error. */
  private allCompleted(completed: readonly (CompletedEvent | undefined)[]): CompletedEvent[] {
    const all = Array.from({ length: this.parsed.choices }, (_, index) => completed[index]);
    if (all.some((event) => event === undefined)) throw noCompletion();
    return all as CompletedEvent[];
  }
}
