import { isRelayError } from '@relayllm/relay-core';
import { ReadableStream } from 'stream/web';
import { sseEvents } from './sse-reader';

const limits = { maxLineLength: 1_000, maxBodyBytes: 10_000 };

function body(parts: ReadonlyArray<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const part = parts[i++];
      if (part === undefined) controller.close();
      else controller.enqueue(typeof part === 'string' ? encoder.encode(part) : part);
    },
  });
}

async function events(parts: ReadonlyArray<string | Uint8Array>, max = limits): Promise<string[]> {
  const out: string[] = [];
  for await (const data of sseEvents(body(parts) as unknown as globalThis.ReadableStream<Uint8Array>, max)) out.push(data);
  return out;
}

describe('sseEvents', () => {
  it('frames events by blank lines, with LF, CRLF or CR line ends, split anywhere', async () => {
    expect(await events(['data: a\n\ndata: b\r\n\r\nda', 'ta: c\r', '\n\r\ndata:d\r\r'])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('joins the data lines of one event; ignores comments and other fields', async () => {
    expect(await events([': keep-alive\n\nevent: x\nid: 7\ndata: one\ndata: two\nretry: 5\n\n'])).toEqual(['one\ntwo']);
  });

  it('decodes UTF-8 split across reads', async () => {
    const bytes = new TextEncoder().encode('data: é✓\n\n');
    expect(await events([bytes.slice(0, 7), bytes.slice(7, 9), bytes.slice(9)])).toEqual(['é✓']);
  });

  it('delivers a last event left without its blank line', async () => {
    expect(await events(['data: a\n\ndata: [DONE]'])).toEqual(['a', '[DONE]']);
  });

  it('refuses a line longer than the limit, also one still without a line end', async () => {
    const err = await events([`data: ${'x'.repeat(2_000)}\n\n`]).catch((e: unknown) => e);
    expect(isRelayError(err, 'unavailable')).toBe(true);
    const endless = await events(['data: ', 'y'.repeat(600), 'y'.repeat(600)]).catch((e: unknown) => e);
    expect(endless).toMatchObject({ reason: 'UPSTREAM_MALFORMED' });
  });

  it('refuses a body larger than the limit', async () => {
    const parts = Array.from({ length: 20 }, () => `data: ${'z'.repeat(900)}\n\n`);
    expect(await events(parts).catch((e: unknown) => e)).toMatchObject({ reason: 'UPSTREAM_TOO_LARGE' });
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: x\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const data of sseEvents(stream as unknown as globalThis.ReadableStream<Uint8Array>, limits)) {
      expect(data).toBe('x');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
