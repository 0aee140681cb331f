import { createInbox, type NatsConnection } from '@nats-io/nats-core';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  acceptedBy,
  connectNats,
  encodeProto,
  llmCancelSubject,
  llmGenerateSubject,
  llmWorkerSubject,
  toNatsHeaders,
  traceHeadersFrom,
  withAckRequest,
  WorkerRegistry,
  type WorkerChange,
} from '@relayllm/nats-transport';
import { EngineFinish, LlmCancel, LlmGenerateReply, LlmGenerateRequest, WorkerKind } from '@relayllm/proto';
import { startNatsServer, until, type NatsServerHandle } from '@relayllm/testing';
import 'reflect-metadata';
import { loadLlmWorkerConfig } from './app/config';
import { LlmWorkerModule } from './app/llm-worker.module';
import { LlmWorkerService } from './app/llm-worker.service';
import { NatsLlmServer } from './app/nats-llm-server';
import { workerPresence } from '@relayllm/app-kit';
import type { WorkerAnnouncer } from '@relayllm/nats-transport';
import { BlockingEngineFake } from './testing/blocking-engine.fake';

/** A relay call of generation `generationId` (default g), call `callIndex` (default 0), encoded. */
const request = ({ generationId = 'g', callIndex = 0 }: { generationId?: string; callIndex?: number } = {}): Uint8Array =>
  encodeProto(LlmGenerateRequest, LlmGenerateRequest.fromPartial({ model: 'llm', attempt: 1, request: { sequenceId: `${generationId}/llm`, turn: callIndex, contextText: 'Q\n', maxTokens: 4 } }));

describe('llm-worker Nest microservice over a real nats-server (scripted engine)', () => {
  let server: NatsServerHandle;
  let workerNc: NatsConnection;
  let client: NatsConnection;
  let app: INestMicroservice;
  let transport: NatsLlmServer;
  let registry: WorkerRegistry;
  let presence: WorkerAnnouncer;
  const changes: WorkerChange[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    workerNc = await connectNats({ servers: server.url, name: 'worker' });
    client = await connectNats({ servers: server.url, name: 'client' });
    registry = new WorkerRegistry(client, { sweepIntervalMs: 50 });
    registry.onChange((c) => changes.push(c));
    registry.start();
    const config = loadLlmWorkerConfig({ RELAYLLM_WORKER_ID: 'spec-worker', RELAYLLM_LLM_MAX_SEQUENCES: '1', RELAYLLM_HEARTBEAT_INTERVAL_MS: '50' });
    transport = new NatsLlmServer(workerNc, { model: 'llm', workerId: config.workerId });
    app = await NestFactory.createMicroservice(LlmWorkerModule.forRoot({ config, engine: new BlockingEngineFake(new Set(['hang/llm'])) }), { strategy: transport, logger: false });
    await app.listen();
    const service = app.get(LlmWorkerService);
    presence = workerPresence(workerNc, { ...config, kind: WorkerKind.WORKER_KIND_LLM }, () => service.activeSequences);
    service.setCapacityListener(() => presence.announce());
    presence.start();
  });

  afterAll(async () => {
    await app?.close();
    registry?.close();
    await client?.close();
    await workerNc?.close().catch(() => undefined);
    await server?.stop();
  });

  const ask = async (subject: string, payload: Uint8Array, traceparent?: string, timeout = 10_000) => {
    const msg = await client.request(subject, payload, { timeout, headers: toNatsHeaders(traceparent === undefined ? undefined : { traceparent }) });
    return { reply: LlmGenerateReply.decode(msg.data), trace: traceHeadersFrom(msg.headers) };
  };

  it('answers on the queue-group subject and on its own subject, trace headers copied back', async () => {
    const viaQueue = await ask(llmGenerateSubject('llm'), request(), '00-aa-bb-01');
    expect([viaQueue.reply.workerId, viaQueue.reply.output?.text, viaQueue.reply.output?.finish]).toEqual(['spec-worker', '37', EngineFinish.ENGINE_FINISH_EOS]);
    expect(viaQueue.trace).toEqual({ traceparent: '00-aa-bb-01' });
    const direct = await ask(llmWorkerSubject('llm', 'spec-worker'), request({ callIndex: 1 }));
    expect([direct.reply.turn, direct.reply.output?.text]).toEqual([1, '37']);
    expect(direct.trace).toEqual({});
  });

  it('acks an admitted request first when asked (relayllm-ack), then replies on the same inbox', async () => {
    const inbox = createInbox();
    const sub = client.subscribe(inbox, { max: 2 });
    const received: { acceptedBy?: string; reply?: LlmGenerateReply }[] = [];
    const done = (async () => {
      for await (const msg of sub) received.push(acceptedBy(msg) !== undefined ? { acceptedBy: acceptedBy(msg) } : { reply: LlmGenerateReply.decode(msg.data) });
    })();
    client.publish(llmGenerateSubject('llm'), request({ generationId: 'acked' }), { reply: inbox, headers: withAckRequest(undefined) });
    await done;
    expect(received[0]).toEqual({ acceptedBy: 'spec-worker' });
    expect(received[1]?.reply?.output?.text).toBe('37');
  });

  it('answers a malformed payload with an invalid_argument error reply', async () => {
    const { reply } = await ask(llmGenerateSubject('llm'), new Uint8Array([0xff, 0xff, 0xff]));
    expect(reply.error?.reason).toBe('PAYLOAD_INVALID');
  });

  it('is full at max sequences (heartbeat says so), and a cancel message aborts the running call', async () => {
    const hanging = ask(llmGenerateSubject('llm'), request({ generationId: 'hang' }));
    const service = app.get(LlmWorkerService);
    await until(() => service.activeSequences > 0, 'the worker to hold a sequence', 2_500);
    const refused = await ask(llmGenerateSubject('llm'), request({ generationId: 'other' }));
    expect(refused.reply.error?.reason).toBe('WORKER_FULL');
    await until(() => registry.get('spec-worker')?.activeSequences === 1, 'the heartbeat to report 1 active sequence', 2_500);
    expect(registry.get('spec-worker')).toMatchObject({ activeSequences: 1, maxSequences: 1, kind: WorkerKind.WORKER_KIND_LLM });
    client.publish(llmCancelSubject('llm', 'hang'), encodeProto(LlmCancel, { sequenceId: 'hang/llm', turn: 0 }));
    const { reply } = await hanging;
    expect([reply.output?.finish, reply.output?.text]).toEqual([EngineFinish.ENGINE_FINISH_ABORT, '1']);
    expect(service.activeSequences).toBe(0);
  });

  it('survives a NATS restart: reconnects, resubscribes, and answers again', async () => {
    await server.stop();
    await server.start();
    let text: string | undefined;
    for (let i = 0; i < 100 && text === undefined; i++) {
      try {
        text = (await ask(llmWorkerSubject('llm', 'spec-worker'), request({ generationId: `after-restart-${i}` }), undefined, 500)).reply.output?.text;
      } catch {
        await new Promise((r) => setTimeout(r, 100)); // still reconnecting
      }
    }
    expect(text).toBe('37');
  }, 30_000);

  it('graceful shutdown: stops taking requests, then leaves', async () => {
    await transport.stopTakingRequests();
    await app.get(LlmWorkerService).drain(100);
    await presence.stop();
    await expect(client.request(llmWorkerSubject('llm', 'spec-worker'), request(), { timeout: 5_000 })).rejects.toThrow();
    await until(() => changes.some((c) => c.type === 'left'), 'the worker to leave the registry', 2_500);
    expect(changes.find((c) => c.type === 'left')?.worker.workerId).toBe('spec-worker');
    expect(registry.get('spec-worker')).toBeUndefined();
  });
});
