import { createInbox, type Msg, type NatsConnection } from '@nats-io/nats-core';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { acceptedBy, brokerLinkOf, connectNats, encodeProto, llmWorkerSubject, withAckRequest } from '@relayllm/nats-transport';
import { EngineFinish, LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { startNatsServer, type NatsServerHandle } from '@relayllm/testing';
import 'reflect-metadata';
import { loadLlmWorkerConfig } from './app/config';
import { LlmWorkerModule } from './app/llm-worker.module';
import { LlmWorkerService } from './app/llm-worker.service';
import { NatsLlmServer } from './app/nats-llm-server';
import { BlockingEngineFake } from './testing/blocking-engine.fake';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const WORKER_RECONNECT_WAIT_MS = 2_000;

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (const startedAt = Date.now(); !condition() && Date.now() - startedAt < timeoutMs; ) await sleep(10);
  expect(condition()).toBe(true);
}

/**
 * The worker's side of a NATS outage: a reply that falls due while its link
 * is down. The caller reconnects within ~50 ms of the server's return, the
 * worker only at its next attempt (2 s apart), so the reply can reach the
 * caller's restored inbox only if the worker kept it until its own link was
 * back (the client drops what was published while down at each attempt).
 */
describe('llm-worker across a NATS outage (real nats-server, scripted engine)', () => {
  let server: NatsServerHandle;
  let workerNc: NatsConnection;
  let client: NatsConnection;
  let app: INestMicroservice;
  let connectedAt: number;

  beforeAll(async () => {
    server = await startNatsServer();
    workerNc = await connectNats({ servers: server.url, name: 'worker', reconnectWaitMs: WORKER_RECONNECT_WAIT_MS });
    connectedAt = Date.now();
    client = await connectNats({ servers: server.url, name: 'client', reconnectWaitMs: 50 });
    const config = loadLlmWorkerConfig({ RELAYLLM_WORKER_ID: 'outage-worker', RELAYLLM_LLM_MAX_SEQUENCES: '2', RELAYLLM_INSECURE: 'true' });
    const transport = new NatsLlmServer(workerNc, { model: 'llm', workerId: config.workerId });
    app = await NestFactory.createMicroservice(LlmWorkerModule.forRoot({ config, engine: new BlockingEngineFake(new Set(['hang/llm'])) }), { strategy: transport, logger: false });
    await app.listen();
  });

  afterAll(async () => {
    await app?.close();
    await client?.close().catch(() => undefined);
    await workerNc?.close().catch(() => undefined);
    await server?.stop();
  });

  it('a reply that falls due while the link is down is sent once it is back, exactly once, on the same inbox', async () => {
    const inbox = createInbox();
    const received: Msg[] = [];
    client.subscribe(inbox, { callback: (_error, msg) => void received.push(msg) });
    const request = LlmGenerateRequest.fromPartial({ model: 'llm', attempt: 1, request: { sequenceId: 'hang/llm', turn: 0, contextText: 'Q\n', maxTokens: 4, timeoutMs: 20_000 } });
    client.publish(llmWorkerSubject('llm', 'outage-worker'), encodeProto(LlmGenerateRequest, request), { reply: inbox, headers: withAckRequest(undefined) });
    await until(() => received.some((m) => acceptedBy(m) === 'outage-worker'));
    // The worker's next reconnect attempt must come 2 s after the outage starts, not sooner.
    await sleep(Math.max(0, connectedAt + WORKER_RECONNECT_WAIT_MS + 200 - Date.now()));
    process.kill(server.pid as number, 'SIGKILL');
    await until(() => !brokerLinkOf(workerNc).view().connected && !brokerLinkOf(client).view().connected);
    // The generation ends now: its reply falls due with the link down.
    app.get(LlmWorkerService).cancel({ sequenceId: 'hang/llm', turn: 0 });
    await sleep(300);
    await server.start();
    await until(() => received.length >= 2, 8_000);
    await sleep(300);
    const replies = received.filter((m) => acceptedBy(m) === undefined).map((m) => LlmGenerateReply.decode(m.data));
    expect(replies.map((r) => [r.output?.text, r.output?.finish])).toEqual([['1', EngineFinish.ENGINE_FINISH_ABORT]]);
  }, 20_000);
});
