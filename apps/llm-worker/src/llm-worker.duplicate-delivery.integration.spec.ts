import { createInbox, type Msg, type NatsConnection } from '@nats-io/nats-core';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { acceptedBy, connectNats, encodeProto, llmWorkerSubject, withAckRequest } from '@relayllm/nats-transport';
import { EngineFinish, LlmGenerateReply, LlmGenerateRequest } from '@relayllm/proto';
import { startNatsServer, type NatsServerHandle } from '@relayllm/testing';
import 'reflect-metadata';
import { loadLlmWorkerConfig } from './app/config';
import { LlmWorkerModule } from './app/llm-worker.module';
import { LlmWorkerService } from './app/llm-worker.service';
import { NatsLlmServer } from './app/nats-llm-server';
import { BlockingEngineFake } from './testing/blocking-engine.fake';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (const startedAt = Date.now(); !condition() && Date.now() - startedAt < timeoutMs; ) await sleep(10);
  expect(condition()).toBe(true);
}

/** Generations whose engine run lasts until cancelled. */
const HANGING = ['copied', 'resent'] as const;

/** Send `send` of attempt 1 of call 0 of `generation`. */
const hangingCall = (generation: (typeof HANGING)[number], send: number): Uint8Array =>
  encodeProto(LlmGenerateRequest, LlmGenerateRequest.fromPartial({ model: 'llm', attempt: 1, send, request: { sequenceId: `${generation}/llm`, turn: 0, contextText: 'Q\n', maxTokens: 4, timeoutMs: 20_000 } }));

/** What came back on an inbox: [acks, replies as (text, finish, error reason)]. */
function answers(received: readonly Msg[]): [number, Array<[string | undefined, EngineFinish | undefined, string | undefined]>] {
  const replies = received.filter((m) => acceptedBy(m) === undefined).map((m) => LlmGenerateReply.decode(m.data));
  return [received.length - replies.length, replies.map((r) => [r.output?.text, r.output?.finish, r.error?.reason])];
}

/**
 * A request message delivered twice to the worker, as a NATS client does
 * while it holds two server connections (@nats-io/transport-node 3.1.0 after
 * reconnecting to a server that was frozen: the chaos row nats-freeze-10s).
 * The copy carries the live send's own reply inbox: answered as a stale send
 * (GENERATION_IN_USE), that refusal reached the caller first and failed its
 * attempt on every worker in turn.
 */
describe('llm-worker: one request delivered twice (real nats-server, scripted engine)', () => {
  let server: NatsServerHandle;
  let workerNc: NatsConnection;
  let client: NatsConnection;
  let app: INestMicroservice;
  let engine: BlockingEngineFake;

  beforeAll(async () => {
    server = await startNatsServer();
    workerNc = await connectNats({ servers: server.url, name: 'worker' });
    client = await connectNats({ servers: server.url, name: 'client' });
    const config = loadLlmWorkerConfig({ RELAYLLM_WORKER_ID: 'dup-worker', RELAYLLM_LLM_MAX_SEQUENCES: '2', RELAYLLM_INSECURE: 'true' });
    engine = new BlockingEngineFake(new Set(HANGING.map((g) => `${g}/llm`)));
    const transport = new NatsLlmServer(workerNc, { model: 'llm', workerId: config.workerId });
    app = await NestFactory.createMicroservice(LlmWorkerModule.forRoot({ config, engine }), { strategy: transport, logger: false });
    await app.listen();
  });

  afterAll(async () => {
    for (const generation of HANGING) app?.get(LlmWorkerService).cancel({ sequenceId: `${generation}/llm`, turn: 0 });
    await app?.close();
    await client?.close().catch(() => undefined);
    await workerNc?.close().catch(() => undefined);
    await server?.stop();
  });

  const runsOf = (generation: string): number => engine.requests.filter((r) => r.sequenceId === `${generation}/llm`).length;

  /** Publishes `payload` `copies` times with one reply inbox; returns what arrives on it. */
  async function publish(payload: Uint8Array, copies: number): Promise<Msg[]> {
    const inbox = createInbox();
    const received: Msg[] = [];
    client.subscribe(inbox, { callback: (_error, msg) => void received.push(msg) });
    for (let i = 0; i < copies; i++) client.publish(llmWorkerSubject('llm', 'dup-worker'), payload, { reply: inbox, headers: withAckRequest(undefined) });
    await client.flush();
    return received;
  }

  it('takes the message once: one ack, one run, and the run\'s reply is the only answer on the inbox', async () => {
    const received = await publish(hangingCall('copied', 1), 2);
    await until(() => received.length >= 1 && runsOf('copied') >= 1);
    // Time for the copy to reach the worker and be answered, were it answered.
    await sleep(300);
    expect(answers(received)).toEqual([1, []]);
    app.get(LlmWorkerService).cancel({ sequenceId: 'copied/llm', turn: 0 });
    await until(() => answers(received)[1].length >= 1);
    await sleep(200);
    expect(answers(received)).toEqual([1, [['1', EngineFinish.ENGINE_FINISH_ABORT, undefined]]]);
    expect(runsOf('copied')).toBe(1);
  }, 15_000);

  it('a new send of the call (its own inbox) is still taken: it supersedes the run of the earlier send', async () => {
    const first = await publish(hangingCall('resent', 1), 1);
    await until(() => answers(first)[0] === 1 && runsOf('resent') === 1);
    const second = await publish(hangingCall('resent', 2), 1);
    await until(() => answers(second)[0] === 1 && answers(first)[1].length === 1);
    expect(answers(first)[1]).toEqual([['1', EngineFinish.ENGINE_FINISH_ABORT, undefined]]);
    await until(() => runsOf('resent') === 2);
    app.get(LlmWorkerService).cancel({ sequenceId: 'resent/llm', turn: 0 });
    await until(() => answers(second)[1].length === 1);
    expect(answers(second)).toEqual([1, [['1', EngineFinish.ENGINE_FINISH_ABORT, undefined]]]);
  }, 15_000);
});
