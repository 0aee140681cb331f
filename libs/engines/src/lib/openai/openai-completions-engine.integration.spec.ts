import { isRelayError, RelayError, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';
import { createServer } from 'net';
import { FakeVllmServer } from '../../testing/vllm-server.fake';
import { OpenAiCompletionsEngine, type OpenAiCompletionsEngineOptions } from './openai-completions-engine';

/** Contract tests against the FAKE vLLM server (vLLM's streaming /v1/completions format). */

function request(over: Partial<EngineRequest> = {}): EngineRequest {
  return {
    sequenceId: 'g1/llm',
    turn: 0,
    context: { text: 'Compute 37*48+15-6.\n' },
    appendOnly: false,
    maxTokens: 16,
    sampling: { temperature: 0, topP: 0.9, seed: 1234 },
    stopTokens: [259],
    stop: [],
    bannedTokens: [258, 259],
    ...over,
  };
}

async function collect(stream: AsyncIterable<EngineChunk>, onChunk?: (chunk: EngineChunk, i: number) => boolean | void) {
  const chunks: EngineChunk[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    if (onChunk?.(chunk, chunks.length - 1) === true) break;
  }
  return { chunks, text: chunks.map((c) => c.text).join(''), finish: chunks[chunks.length - 1]?.finish };
}

const failure = (promise: Promise<unknown>): Promise<RelayError> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as RelayError,
  );

describe('OpenAiCompletionsEngine against the fake vLLM server', () => {
  let server: FakeVllmServer;
  let engine: OpenAiCompletionsEngine;
  const make = (over: Partial<OpenAiCompletionsEngineOptions> = {}): OpenAiCompletionsEngine =>
    new OpenAiCompletionsEngine({ baseUrl: `${server.url}/`, model: 'teacher', apiKey: 'k-1', ...over });

  beforeEach(async () => {
    server = await FakeVllmServer.start('teacher');
    engine = make();
    await engine.start();
  });
  afterEach(async () => {
    await engine.close();
    await server.close();
  });

  it('streams one text chunk per delta and forwards prompt, max_tokens, sampling and seed', async () => {
    server.script({ tokens: ['37', '*', '48', '\n'] });
    const out = await collect(engine.generate(request(), new AbortController().signal));
    expect(out.chunks.map((c) => [c.text, c.tokens, c.tokenCount])).toEqual([
      ['37', [], 1],
      ['*', [], 1],
      ['48', [], 1],
      ['\n', [], 1],
    ]);
    expect(out.finish).toBe('eos'); // finish_reason "stop" with stop_reason null: the model's EOS
    const [recorded] = server.requests;
    expect(recorded?.path).toBe('/v1/completions');
    expect(recorded?.method).toBe('POST');
    expect(recorded?.headers['authorization']).toBe('Bearer k-1');
    expect(recorded?.body).toEqual({
      model: 'teacher',
      prompt: 'Compute 37*48+15-6.\n',
      max_tokens: 16,
      stream: true,
      temperature: 0,
      top_p: 0.9,
      seed: 1234,
    });
  });

  it('stop strings are forwarded; the match is not in the output and finish is stop', async () => {
    server.script({ tokens: ['1', '<call>', '5', '</call>', 'x'] });
    const out = await collect(engine.generate(request({ stop: ['</call>'] }), new AbortController().signal));
    expect(server.requests[0]?.body['stop']).toEqual(['</call>']);
    expect(out.text).toBe('1<call>5');
    expect(out.finish).toBe('stop');
  });

  it('max_tokens: finish length', async () => {
    server.script({ tokens: ['a', 'b', 'c', 'd', 'e'] });
    const out = await collect(engine.generate(request({ maxTokens: 3 }), new AbortController().signal));
    expect(out.text).toBe('abc');
    expect(out.finish).toBe('length');
    expect(server.requests[0]?.body['max_tokens']).toBe(3);
  });

  it('a server without stop_reason: eos without stop strings, stop with them', async () => {
    server.script({ tokens: ['a'], omitStopReason: true }, { tokens: ['a', 'b'], omitStopReason: true });
    expect((await collect(engine.generate(request(), new AbortController().signal))).finish).toBe('eos');
    expect((await collect(engine.generate(request({ stop: ['zz'] }), new AbortController().signal))).finish).toBe('stop');
  });

  it('reportProbabilities asks for logprobs and each chunk carries its token\'s probability; without it none is asked', async () => {
    server.script({ tokens: ['37', '*'], probabilities: [0.9, 0.25] }, { tokens: ['37'], probabilities: [0.9] });
    const out = await collect(engine.generate(request({ reportProbabilities: true }), new AbortController().signal));
    expect(server.requests[0]?.body['logprobs']).toBe(1);
    expect(out.chunks.map((c) => [c.text, c.probabilities?.map((p) => Number(p.toFixed(6)))])).toEqual([
      ['37', [0.9]],
      ['*', [0.25]],
    ]);
    const plain = await collect(engine.generate(request(), new AbortController().signal));
    expect('logprobs' in (server.requests[1]?.body ?? {})).toBe(false);
    expect(plain.chunks[0]?.probabilities).toBeUndefined();
  });

  it('token counts come from usage when the server reports it', async () => {
    server.script({ tokens: ['ab', 'c'], usage: true });
    const out = await collect(engine.generate(request(), new AbortController().signal));
    expect(out.chunks.map((c) => c.tokenCount)).toEqual([1, 1]);
  });

  it('abort: the stream ends at once with finish abort and the HTTP connection is closed', async () => {
    server.script({ tokens: Array.from({ length: 200 }, () => 'x'), delayMs: 10 });
    const controller = new AbortController();
    let abortedAt = 0;
    const out = await collect(engine.generate(request({ maxTokens: 500 }), controller.signal), (_, i) => {
      if (i === 2) {
        abortedAt = performance.now();
        controller.abort();
      }
    });
    expect(performance.now() - abortedAt).toBeLessThan(100);
    expect(out.finish).toBe('abort');
    expect(out.chunks.length).toBeLessThan(10);
    await server.requests[0]?.closedEarly;
    expect(server.requests[0]?.clientClosedEarly).toBe(true);
  });

  it('a consumer that stops reading early also closes the connection', async () => {
    server.script({ tokens: Array.from({ length: 200 }, () => 'y'), delayMs: 10 });
    await collect(engine.generate(request({ maxTokens: 500 }), new AbortController().signal), (_, i) => i === 1);
    await server.requests[0]?.closedEarly;
    expect(server.requests[0]?.clientClosedEarly).toBe(true);
  });

  it('HTTP 500 -> RelayError unavailable with the status and the server message', async () => {
    server.script({ tokens: [], status: 500 });
    const err = await failure(collect(engine.generate(request(), new AbortController().signal)));
    expect(isRelayError(err, 'unavailable')).toBe(true);
    expect(err.reason).toBe('UPSTREAM_HTTP_ERROR');
    expect(err.message).toMatch(/HTTP 500 .*scripted failure/);
    expect(err.cause).toMatchObject({ status: 500 });
  });

  it('a malformed SSE line is a clear error, not a hang', async () => {
    server.script({ tokens: ['a', 'b'], raw: 'data: {"choices": [oops\n\n' });
    const err = await failure(collect(engine.generate(request(), new AbortController().signal)));
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'UPSTREAM_MALFORMED' });
    expect(err.message).toMatch(/malformed SSE event .*not JSON.*oops/);
  });

  it('vLLM error events mid-stream are reported', async () => {
    server.script({ tokens: ['a'], raw: 'data: {"error": {"message": "engine dead", "code": 500}}\n\n' });
    const err = await failure(collect(engine.generate(request(), new AbortController().signal)));
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'UPSTREAM_ERROR' });
    expect(err.message).toContain('engine dead');
  });

  it('a silent server hits the idle timeout (unavailable), a dropped stream is truncated', async () => {
    const impatient = make({ idleTimeoutMs: 150 });
    server.script({ tokens: ['a', 'b', 'c'], hangAfter: 1 }, { tokens: ['a', 'b', 'c'], dropAfter: 2 });
    const started = performance.now();
    const timeout = await failure(collect(impatient.generate(request(), new AbortController().signal)));
    expect(timeout).toMatchObject({ kind: 'unavailable', reason: 'UPSTREAM_TIMEOUT' });
    expect(performance.now() - started).toBeLessThan(2_000);
    const truncated = await failure(collect(impatient.generate(request(), new AbortController().signal)));
    expect(truncated).toMatchObject({ kind: 'unavailable', reason: 'UPSTREAM_TRUNCATED' });
  });

  it('bounded: an endless line or an oversized body is refused', async () => {
    server.script({ tokens: ['a'], raw: `data: ${'x'.repeat(20_000)}` }, { tokens: Array.from({ length: 100 }, () => 'zzzzzzzzzz') });
    const shortLines = make({ maxLineLength: 4_096 });
    const line = await failure(collect(shortLines.generate(request(), new AbortController().signal)));
    expect(line).toMatchObject({ kind: 'unavailable', reason: 'UPSTREAM_MALFORMED' });
    expect(line.message).toMatch(/exceeds 4096 characters/);
    const smallBody = make({ maxBodyBytes: 4_096 });
    const body = await failure(collect(smallBody.generate(request({ maxTokens: 100 }), new AbortController().signal)));
    expect(body).toMatchObject({ kind: 'unavailable', reason: 'UPSTREAM_TOO_LARGE' });
  });

  it('an unreachable server is unavailable, naming the URL and the socket error', async () => {
    const port = await freePort();
    const gone = new OpenAiCompletionsEngine({ baseUrl: `http://127.0.0.1:${port}`, model: 'm' });
    const err = await failure(collect(gone.generate(request(), new AbortController().signal)));
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'UPSTREAM_UNREACHABLE' });
    expect(err.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });

  it('close() aborts requests in flight, is idempotent, and later requests are unavailable', async () => {
    server.script({ tokens: Array.from({ length: 100 }, () => 'x'), delayMs: 10 });
    const running = failure(collect(engine.generate(request({ maxTokens: 200 }), new AbortController().signal), (_, i) => {
      if (i === 1) void engine.close();
    }));
    expect(await running).toMatchObject({ kind: 'unavailable', reason: 'ENGINE_CLOSED' });
    await engine.close();
    const err = await failure(collect(engine.generate(request(), new AbortController().signal)));
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'ENGINE_CLOSED' });
  });

  it('an already aborted signal makes no request', async () => {
    const out = await collect(engine.generate(request(), AbortSignal.abort()));
    expect(out.finish).toBe('abort');
    expect(server.requests).toHaveLength(0);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
