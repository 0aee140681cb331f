/**
 * Over real sockets: a real @grpc/grpc-js server on 127.0.0.1 (an
 * ephemeral port) and real clients, with relay-core's runRelay over
 * ScriptedEngine test doubles as the handler.
 */
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { FinishReason, Policy, type GenerateEvent } from '@relayllm/proto';
import { InvalidArgumentReason, UnavailableReason } from '@relayllm/relay-core';
import { createRelayClient, type RelayClient } from './client';
import { API_KEY_ID_METADATA } from './caller';
import { createRelayGrpcServer, type RelayErrorContext, type RelayGrpcServer } from './server';
import { collect, failure, RecordingRelayHandlerFake, summary, waitFor } from '../testing/grpc-spec-kit';
import { ERROR_FIELD_METADATA_KEY, ERROR_REASON_METADATA_KEY, relayErrorFromServiceError } from './status';

let handler: RecordingRelayHandlerFake;
let server: RelayGrpcServer;
let client: RelayClient;
let address: string;
let onError: jest.Mock<void, [unknown, RelayErrorContext]>;

beforeEach(async () => {
  handler = new RecordingRelayHandlerFake();
  onError = jest.fn();
  server = createRelayGrpcServer({ relay: handler, onError, newRequestId: () => 'server-id' });
  const port = await server.listen('127.0.0.1:0');
  address = `127.0.0.1:${port}`;
  client = createRelayClient(address);
  await client.waitForReady();
});

afterEach(async () => {
  client.close();
  await server.close(200);
});

const expectedUsage = { slmTokens: 6, llmTokens: 2, responseTokens: 8, calls: 1, llmTokenRatio: 0.25, malformedCommands: 0, noCallCommands: 0 };
const expectedCall = { callIndex: 0, requestedN: 2, grantedN: 2, tokensWritten: 2, responseTokenStart: 5, responseTokenEnd: 7, endedGeneration: false, latencyMs: 0, confidenceFloor: false };

describe('RelayService over gRPC', () => {
  it('Generate returns the scripted relay with usage and call records', async () => {
    handler.script(['ab<call>2</call>', 'c</s>'], ['XYZ']);
    const response = await client.generate({ prompt: 'Q:', maxTokens: 40, requestId: 'req-1', temperature: 0 });
    expect(response).toEqual({
      text: 'abXYc',
      finishReason: FinishReason.FINISH_REASON_EOS,
      usage: expectedUsage,
      requestId: 'req-1',
      callRecords: [expectedCall],
    });
    // The adapter only mapped the request: snake_case wire -> camelCase core.
    expect(handler.requests[0]).toEqual({ generationId: 'req-1', prompt: 'Q:', policy: 'RELAY', maxTokens: 40, sampling: { temperature: 0 } });
    expect(handler.llm.requests[0].maxTokens).toBe(2);
  });

  it('tells the handler its caller: protocol, W3C trace context and the key id an interceptor accepted', async () => {
    handler.script(['a</s>', 'a</s>', 'a</s>']);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const metadata = new Metadata();
    metadata.set('traceparent', traceparent);
    metadata.set(API_KEY_ID_METADATA, 'key-7');
    await client.generate({ prompt: 'Q:', maxTokens: 4 }, { metadata });
    await collect(client.generateStream({ prompt: 'Q:', maxTokens: 4 }, { metadata }));
    await client.generate({ prompt: 'Q:', maxTokens: 4 });
    expect(handler.calls.slice(-3)).toEqual([
      { protocol: 'grpc', apiKeyId: 'key-7', traceContext: { traceparent } },
      { protocol: 'grpc', apiKeyId: 'key-7', traceContext: { traceparent } },
      { protocol: 'grpc' },
    ]);
  });

  it("tells the handler the client's deadline (Unix ms, as the server dates it), on both RPCs", async () => {
    handler.script(['a</s>', 'a</s>']);
    const deadline = new Date(Date.now() + 3_000);
    await client.generate({ prompt: 'Q:', maxTokens: 4 }, { deadline });
    await collect(client.generateStream({ prompt: 'Q:', maxTokens: 4 }, { deadline }));
    for (const call of handler.calls.slice(-2)) {
      // grpc-js sends the time left and the server dates it from receipt: equal up to the transit time.
      expect(Math.abs((call.deadlineAtMs ?? 0) - deadline.getTime())).toBeLessThan(1_000);
    }
  });

  it('GenerateStream streams text, relay_started / relay_finished and completed', async () => {
    handler.script(['ab<call>2</call>', 'c</s>'], ['XYZ']);
    const events = await collect(client.generateStream({ prompt: 'Q:', maxTokens: 40 }));
    expect(summary(events)).toEqual([
      'SOURCE_SLM:a',
      'SOURCE_SLM:b',
      'started:0:2/2',
      'SOURCE_LLM:X',
      'SOURCE_LLM:Y',
      'finished:0:2',
      'SOURCE_SLM:c',
      'completed',
    ]);
    expect(events[events.length - 1].event).toEqual({
      $case: 'completed',
      value: { finishReason: FinishReason.FINISH_REASON_EOS, usage: expectedUsage, requestId: 'server-id', callRecords: [expectedCall] },
    });
    expect(handler.requests[0].generationId).toBe('server-id');
  });

  it('passes policy, limits, sampling and stop through to the core', async () => {
    handler.script(['ab<call>2</call>c</s>']);
    const response = await client.generate({
      prompt: 'Q:',
      maxTokens: 40,
      policy: Policy.POLICY_SLM_ONLY,
      limits: { maxTurns: 2, maxLlmTokensPerCall: 0 },
      topP: 0.5,
      seed: 7,
      stop: ['##'],
    });
    expect(response).toMatchObject({ text: 'abc', usage: { calls: 0, noCallCommands: 1 } });
    expect(handler.requests[0]).toMatchObject({ policy: 'SLM_ONLY', maxTurns: 2, maxLlmTokensPerCall: 0, sampling: { topP: 0.5, seed: 7 }, stop: ['##'] });
    expect(handler.slm.requests[0]).toMatchObject({ sampling: { topP: 0.5, seed: 7 }, stop: ['##'] });
  });

  describe('bad input -> INVALID_ARGUMENT naming the wire field', () => {
    it.each([
      ['empty prompt', { prompt: '', maxTokens: 8 }, 'prompt', InvalidArgumentReason.PROMPT_EMPTY],
      ['max_tokens 0', { prompt: 'Q', maxTokens: 0 }, 'max_tokens', InvalidArgumentReason.MAX_TOKENS_RANGE],
      ['max_tokens over the ceiling', { prompt: 'Q', maxTokens: 1_000_000 }, 'max_tokens', InvalidArgumentReason.MAX_TOKENS_RANGE],
      ['unknown policy enum value', { prompt: 'Q', maxTokens: 8, policy: 9 as Policy }, 'policy', InvalidArgumentReason.UNKNOWN_POLICY],
      ['temperature out of range', { prompt: 'Q', maxTokens: 8, temperature: 2.5 }, 'temperature', InvalidArgumentReason.TEMPERATURE_RANGE],
      ['max_turns 0', { prompt: 'Q', maxTokens: 8, limits: { maxTurns: 0 } }, 'limits.max_turns', InvalidArgumentReason.MAX_TURNS_RANGE],
      ['request_id too long', { prompt: 'Q', maxTokens: 8, requestId: 'x'.repeat(300) }, 'request_id', InvalidArgumentReason.GENERATION_ID_INVALID],
    ])('Generate: %s', async (_name, request, field, reason) => {
      handler.script(['never</s>']);
      const error = await failure(client.generate(request));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details.startsWith(`${field}: `)).toBe(true);
      expect(error.details).toContain(`(${reason})`);
      expect(error.details).not.toMatch(/\n\s+at /);
      expect(error.metadata.get(ERROR_REASON_METADATA_KEY)).toEqual([reason]);
      expect(error.metadata.get(ERROR_FIELD_METADATA_KEY)).toEqual([field]);
      expect(relayErrorFromServiceError(error)).toMatchObject({ kind: 'invalid_argument', reason, field });
      expect(handler.slm.requests).toHaveLength(0);
    });

    it('GenerateStream: fails before any event', async () => {
      handler.script(['never</s>']);
      const events: GenerateEvent[] = [];
      const error = await failure(
        (async () => {
          for await (const event of client.generateStream({ prompt: 'Q', maxTokens: 8, temperature: -1 })) events.push(event);
        })(),
      );
      expect(events).toEqual([]);
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toMatch(/^temperature: /);
      expect(error.metadata.get(ERROR_FIELD_METADATA_KEY)).toEqual(['temperature']);
    });
  });

  it('a body that is not a GenerateRequest is INVALID_ARGUMENT naming the field (grpc-js alone would answer INTERNAL)', async () => {
    handler.script(['never</s>']);
    const raw = new Client(address, credentials.createInsecure());
    const send = (body: Buffer) =>
      new Promise<ServiceError>((resolve, reject) =>
        raw.makeUnaryRequest('/relayllm.v1.RelayService/Generate', (b: Buffer) => b, (b: Buffer) => b, body, (error) => (error === null ? reject(new Error('accepted')) : resolve(error))),
      );
    try {
      const truncated = await send(Buffer.from([0x0a, 0x10, 0x51]));
      expect([truncated.code, truncated.metadata.get(ERROR_REASON_METADATA_KEY)]).toEqual([status.INVALID_ARGUMENT, ['REQUEST_BODY_INVALID']]);
      // policy (field 7) = 2^40 as a varint, after prompt "Q" and max_tokens 8
      const hugePolicy = await send(Buffer.from([0x0a, 0x01, 0x51, 0x10, 0x08, 0x38, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]));
      expect([hugePolicy.code, hugePolicy.metadata.get(ERROR_FIELD_METADATA_KEY)]).toEqual([status.INVALID_ARGUMENT, ['policy']]);
      expect(handler.requests).toHaveLength(0);
    } finally {
      raw.close();
    }
  });

  it('an engine failure mid-stream ends the stream with UNAVAILABLE and its reason', async () => {
    handler.script([{ text: 'abcd', failAfterChunks: 2, error: new Error('GPU fell over') }]);
    const events: GenerateEvent[] = [];
    const error = await failure(
      (async () => {
        for await (const event of client.generateStream({ prompt: 'Q', maxTokens: 8 })) events.push(event);
      })(),
    );
    expect(summary(events)).toEqual(['SOURCE_SLM:a', 'SOURCE_SLM:b']);
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.metadata.get(ERROR_REASON_METADATA_KEY)).toEqual([UnavailableReason.ENGINE_FAILED]);
    expect(onError).toHaveBeenCalledWith(expect.anything(), { method: 'GenerateStream', requestId: 'server-id', expected: true });
  });

  it('an unexpected handler error is a bare INTERNAL (logged server-side, nothing leaked)', async () => {
    const failing = createRelayGrpcServer({
      relay: {
        generate: () => {
          throw new Error('secret: /srv/models/llm.gguf');
        },
      },
      onError,
      health: false,
      reflection: false,
    });
    const other = createRelayClient(`127.0.0.1:${await failing.listen()}`);
    try {
      const error = await failure(other.generate({ prompt: 'Q', maxTokens: 8 }));
      expect(error.code).toBe(status.INTERNAL);
      expect(error.details).toBe('internal error');
      expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'secret: /srv/models/llm.gguf' }), expect.objectContaining({ expected: false }));
    } finally {
      other.close();
      await failing.close(100);
    }
  });

  describe('cancellation reaches the handler (and the engines) within 100 ms', () => {
    it('client cancel mid-stream', async () => {
      handler.script([{ text: 'abcdef', hangAfterChunks: 2 }]);
      const call = client.generateStream({ prompt: 'Q', maxTokens: 32 });
      call.on('error', () => undefined); // CANCELLED, expected
      const firstEvent = new Promise<void>((resolve) => call.once('data', () => resolve()));
      await firstEvent;
      const cancelledAt = Date.now();
      call.cancel();
      const abortedAt = await handler.firstAbort();
      expect(abortedAt - cancelledAt).toBeLessThanOrEqual(100);
      expect(handler.signals[0].reason).toMatchObject({ kind: 'cancelled', reason: 'CLIENT_CANCELLED' });
      expect(handler.slm.signals[0].aborted).toBe(true);
      await waitFor(() => server.activeCalls === 0);
    });

    it('client cancel of a unary call (AbortSignal)', async () => {
      handler.script([{ text: 'abcdef', hangAfterChunks: 2 }]);
      const controller = new AbortController();
      const pending = failure(client.generate({ prompt: 'Q', maxTokens: 32 }, { signal: controller.signal }));
      await waitFor(() => handler.slm.requests.length === 1);
      const cancelledAt = Date.now();
      controller.abort();
      const abortedAt = await handler.firstAbort();
      expect(abortedAt - cancelledAt).toBeLessThanOrEqual(100);
      expect((await pending).code).toBe(status.CANCELLED);
      expect(handler.slm.signals[0].aborted).toBe(true);
    });

    it.each([
      ['long before the deadline: the client cancelled', 60_000, { kind: 'cancelled', reason: 'CLIENT_CANCELLED' }],
      // The client's own deadline timer cancels the stream with the same frame as a deliberate cancel.
      [`150 ms before it (within DEADLINE_CANCEL_SLACK_MS): the deadline passed`, 150, { kind: 'deadline_exceeded' }],
    ] as const)('a cancel %s', async (_case, deadlineInMs, reason) => {
      handler.script([{ text: 'abcdef', hangAfterChunks: 2 }]);
      const call = client.generateStream({ prompt: 'Q', maxTokens: 32 }, { deadline: new Date(Date.now() + deadlineInMs) });
      call.on('error', () => undefined);
      await waitFor(() => handler.slm.requests.length === 1);
      call.cancel();
      await handler.firstAbort();
      expect(handler.signals[0].reason).toMatchObject(reason);
      await waitFor(() => server.activeCalls === 0);
    });

    it.each(['GenerateStream', 'Generate'] as const)('%s deadline exceeded', async (method) => {
      handler.script([{ text: 'abcdef', hangAfterChunks: 2 }]);
      const deadline = new Date(Date.now() + 300);
      const request = { prompt: 'Q', maxTokens: 32 };
      const pending =
        method === 'Generate' ? failure(client.generate(request, { deadline })) : failure(collect(client.generateStream(request, { deadline })));
      const abortedAt = await handler.firstAbort();
      expect(abortedAt - deadline.getTime()).toBeLessThanOrEqual(100);
      expect(abortedAt - deadline.getTime()).toBeGreaterThanOrEqual(-20);
      expect(handler.signals[0].reason).toMatchObject({ kind: 'deadline_exceeded' });
      expect((await pending).code).toBe(status.DEADLINE_EXCEEDED);
      expect(handler.slm.signals[0].aborted).toBe(true);
      await waitFor(() => server.activeCalls === 0);
    });
  });
});
