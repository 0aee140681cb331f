import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { createRelayClient, type RelayClient } from '@relayllm/grpc-api';
import { InMemoryKeyValueStore } from '@relayllm/relay-cluster';
import { referenceModels, type RelayModels } from '@relayllm/relay-core';
import { healthCheckClient, until } from '@relayllm/testing';
import { loadConfig } from './app/config';
import { RelayGrpcHost } from './app/relay-grpc.host';
import { bootOrchestrator } from './testing/boot-orchestrator';
import { ScriptedBackends } from './testing/scripted-backends.fake';

interface Booted {
  app: INestApplicationContext;
  client: RelayClient;
  backends: ScriptedBackends;
  store: InMemoryKeyValueStore;
}

async function boot(backends: ScriptedBackends, env: Record<string, string> = {}): Promise<Booted> {
  const { app, port, store } = await bootOrchestrator(loadConfig({ RELAYLLM_ORCHESTRATOR_PORT: '0', RELAYLLM_REDIS_URL: 'off', ...env }), backends);
  const client = createRelayClient(`127.0.0.1:${port}`);
  return { app, client, backends, store };
}

async function shutdown(booted: Booted | undefined): Promise<void> {
  booted?.client.close();
  await booted?.app.close();
}

const serviceError = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: { code: number; metadata: { get(key: string): unknown[] } }) => ({
      code: error.code,
      reason: error.metadata.get('relayllm-error-reason')[0],
    }),
  );

describe('orchestrator (Nest app, public gRPC API, scripted backends)', () => {
  let booted: Booted | undefined;
  afterEach(async () => {
    await shutdown(booted);
    booted = undefined;
  });

  it('runs a relay through the backends with the chat framing, and frees the SLM stream', async () => {
    booted = await boot(new ScriptedBackends(['ab<call>2</call>', 'c</s>'], ['XY']));
    const response = await booted.client.generate({ prompt: 'Q', maxTokens: 40, temperature: 0, requestId: 'r1' });
    expect(response.text).toBe('abXYc');
    expect(response.requestId).toBe('r1');
    expect(booted.backends.slm.requests[0].context.text).toBe('Q\n');
    expect(booted.backends.slm.requests[0].context.tokens?.[0]).toBe(256);
    expect(booted.backends.slm.released).toEqual(['anonymous/r1/slm']);
  });

  it("the client's gRPC deadline reaches every SLM and LLM request (what the remote engines tell their workers)", async () => {
    booted = await boot(new ScriptedBackends(['ab<call>2</call>', 'c</s>'], ['XY']));
    const deadline = new Date(Date.now() + 3_000);
    await booted.client.generate({ prompt: 'Q', maxTokens: 40, temperature: 0, requestId: 'd1' }, { deadline });
    const requests = [...booted.backends.slm.requests, ...booted.backends.llm.requests];
    expect(requests).toHaveLength(3);
    // grpc-js sends the time left and the server dates it from receipt: equal up to the transit time.
    for (const request of requests) expect(Math.abs((request.deadlineAtMs ?? 0) - deadline.getTime())).toBeLessThan(1_000);
  });

  it('a retried request_id that completed returns the stored result without running again', async () => {
    booted = await boot(new ScriptedBackends(['ab<call>2</call>', 'c</s>'], ['XY']));
    const first = await booted.client.generate({ prompt: 'Q', maxTokens: 40, temperature: 0, requestId: 'same' });
    const second = await booted.client.generate({ prompt: 'Q', maxTokens: 40, temperature: 0, requestId: 'same' });
    expect(second.text).toBe(first.text);
    expect(booted.backends.slm.requests).toHaveLength(2); // the first run's two SLM turns only
  });

  it('deterministic LLM outputs are served from the shared cache the second time', async () => {
    booted = await boot(new ScriptedBackends(['a<call>2</call>', 'b</s>', 'a<call>2</call>', 'b</s>'], ['XY']));
    const one = await booted.client.generate({ prompt: 'Q', maxTokens: 40, temperature: 0, requestId: 'c1' });
    await new Promise((resolve) => setImmediate(resolve));
    const two = await booted.client.generate({ prompt: 'Q', maxTokens: 40, temperature: 0, requestId: 'c2' });
    expect(two.text).toBe(one.text);
    expect(booted.backends.llm.requests).toHaveLength(1);
  });

  it('full: queue bound reached → RESOURCE_EXHAUSTED; a cancelled request leaves nothing running', async () => {
    const backends = new ScriptedBackends(['a</s>', 'b</s>'], [], 1);
    let open!: () => void;
    backends.gate = new Promise<void>((resolve) => (open = resolve));
    booted = await boot(backends, { RELAYLLM_ORCHESTRATOR_MAX_QUEUED: '0' });
    const client = booted.client;
    const cancel = new AbortController();
    const running = serviceError(client.generate({ prompt: 'Q', maxTokens: 8, requestId: 'busy' }, { signal: cancel.signal }));
    // Wait until the first generation holds the only slot.
    const service = booted.app.get(RelayGrpcHost);
    await until(() => service.activeCalls >= 1, 'the call to be active', 2_000);
    await until(() => backends.slm.requests.length >= 1, 'the SLM backend to get the request', 2_000);
    const refused = await serviceError(client.generate({ prompt: 'Q', maxTokens: 8, requestId: 'second' }));
    expect(refused).toEqual({ code: GrpcStatus.RESOURCE_EXHAUSTED, reason: 'ADMISSION_QUEUE_FULL' });
    cancel.abort();
    expect(await running).toMatchObject({ code: GrpcStatus.CANCELLED });
    await until(() => backends.slm.released.length >= 1, 'the SLM backend to release the request', 2_000);
    expect(backends.slm.released).toEqual(['anonymous/busy/slm']);
    expect(backends.slm.signals.every((s) => s.aborted)).toBe(true);
    open();
    const after = await client.generate({ prompt: 'Q', maxTokens: 8, requestId: 'third' });
    expect(after.text).toBe('b');
  });

  it('no SLM capacity: a request waits, then gets RESOURCE_EXHAUSTED after the queue wait limit', async () => {
    booted = await boot(new ScriptedBackends(['a</s>'], [], 0), { RELAYLLM_ORCHESTRATOR_MAX_QUEUE_WAIT_MS: '50' });
    expect(await serviceError(booted.client.generate({ prompt: 'Q', maxTokens: 8 }))).toEqual({
      code: GrpcStatus.RESOURCE_EXHAUSTED,
      reason: 'ADMISSION_WAIT_EXPIRED',
    });
  });

  it('a worker joining admits a waiting request', async () => {
    const backends = new ScriptedBackends(['a</s>'], [], 0);
    const started = await boot(backends);
    booted = started;
    const pending = started.client.generate({ prompt: 'Q', maxTokens: 8 });
    await until(() => started.app.get(RelayGrpcHost).activeCalls >= 1, 'the call to be active', 2_000);
    backends.setCapacity(1);
    expect((await pending).text).toBe('a');
  });

  it('bad requests are rejected before admission (INVALID_ARGUMENT), prompts beyond the context too', async () => {
    booted = await boot(new ScriptedBackends([], [], 0), { RELAYLLM_ORCHESTRATOR_CONTEXT_SIZE: '8' });
    expect(await serviceError(booted.client.generate({ prompt: '', maxTokens: 8 }))).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    expect(await serviceError(booted.client.generate({ prompt: 'a long prompt', maxTokens: 8 }))).toEqual({
      code: GrpcStatus.INVALID_ARGUMENT,
      reason: 'PROMPT_TOO_LONG',
    });
  });

  it('until the workers describe both models: the RelayService NOT_SERVING (not the server), and a request waits the queue wait, then UNAVAILABLE MODELS_NOT_DESCRIBED', async () => {
    const backends = new ScriptedBackends(['a</s>'], []);
    let describe!: (models: RelayModels) => void;
    backends.models = new Promise((resolve) => (describe = resolve));
    booted = await boot(backends, { RELAYLLM_ORCHESTRATOR_MAX_QUEUE_WAIT_MS: '50' });
    const port = booted.app.get(RelayGrpcHost).port as number;
    const health = healthCheckClient(`127.0.0.1:${port}`);
    try {
      expect(await health.check('relayllm.v1.RelayService')).toBe('NOT_SERVING'); // readiness
      expect(await health.check('')).toBe('SERVING'); // liveness: the process is fine
      expect(await serviceError(booted.client.generate({ prompt: 'Q', maxTokens: 8 }))).toEqual({ code: GrpcStatus.UNAVAILABLE, reason: 'MODELS_NOT_DESCRIBED' });
      const waiting = booted.client.generate({ prompt: 'Q', maxTokens: 8 });
      describe(referenceModels());
      expect((await waiting).text).toBe('a'); // a request waiting when the models arrive is served
      expect(await health.check('relayllm.v1.RelayService')).toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('shutdown closes the backends once', async () => {
    const backends = new ScriptedBackends([], []);
    const b = await boot(backends);
    await shutdown(b);
    await b.app.get(RelayGrpcHost).onApplicationShutdown();
    expect(backends.closed).toBe(1);
  });
});
