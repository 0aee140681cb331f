import { UnavailableReason, RelayError } from '@relayllm/relay-core';

export interface SseLimits {
  /** Longest line accepted, in characters (a server that never sends a newline cannot fill memory). */
  maxLineLength: number;
  /** Most bytes read from one response body. */
  maxBodyBytes: number;
}

/**
 * The `data` of each server-sent event of `body`, in order (WHATWG SSE framing:
 * `data:` lines of one event joined by "\n", an event ends at a blank line,
 * `:` comments and other fields ignored, LF / CRLF / CR line ends). An event
 * left unterminated when the body ends is still delivered. `onBytes` is called
 * on every read (used as the idle-timeout heartbeat). Cancels the body when the
 * consumer stops early, which releases (or closes) the connection.
 */
export async function* sseEvents(
  body: ReadableStream<Uint8Array>,
  limits: SseLimits,
  onBytes: () => void = () => undefined,
): AsyncGenerator<string, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let received = 0;
  let data: string[] = [];
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      onBytes();
      if (done) {
        finished = true;
        buffer += decoder.decode();
        if (buffer.endsWith('\r')) buffer += '\n'; // a final CR is a whole line end
      } else {
        received += value.byteLength;
        if (received > limits.maxBodyBytes) {
          throw RelayError.unavailable(UnavailableReason.UPSTREAM_TOO_LARGE, `upstream response exceeds ${limits.maxBodyBytes} bytes`);
        }
        buffer += decoder.decode(value, { stream: true });
      }
      for (;;) {
        const end = lineEnd(buffer);
        if (end === undefined) break;
        if (end.at > limits.maxLineLength) throw lineTooLong(limits);
        const line = buffer.slice(0, end.at);
        buffer = buffer.slice(end.at + end.length);
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
      }
      if (buffer.length > limits.maxLineLength) throw lineTooLong(limits);
      if (finished) {
        if (buffer.startsWith('data:')) data.push(buffer.slice(buffer.startsWith('data: ') ? 6 : 5));
        if (data.length > 0) yield data.join('\n');
        return;
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function lineTooLong(limits: SseLimits): RelayError {
  return RelayError.unavailable(UnavailableReason.UPSTREAM_MALFORMED, `upstream SSE line exceeds ${limits.maxLineLength} characters`);
}

/**
 * The first line end in `text`. A CR as the very last character may be the
 * first half of a CRLF that has not arrived yet: wait for more.
 */
function lineEnd(text: string): { at: number; length: number } | undefined {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 10) return { at: i, length: 1 };
    if (c === 13) {
      if (i + 1 === text.length) return undefined;
      return { at: i, length: text.charCodeAt(i + 1) === 10 ? 2 : 1 };
    }
  }
  return undefined;
}
