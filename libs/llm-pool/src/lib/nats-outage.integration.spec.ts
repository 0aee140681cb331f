import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats, WorkerAnnouncer, WorkerRegistry } from '@relayllm/nats-transport';
import { WorkerKind } from '@relayllm/proto';
import { InMemoryKeyValueStore, LlmAffinity } from '@relayllm/relay-cluster';
import { isRelayError } from '@relayllm/relay-core';
import { startNatsServer, until, type NatsServerHandle } from '@relayllm/testing';
import { collect, derivedTokens, failure, NatsLlmWorkerFake, relay } from '../testing/nats-llm-worker.fake';
import { NatsLlmPool } from './nats-llm-pool';
import type { LlmRelayOutcome } from './nats-request-transport';

const GENERATIONS = 24;
const CALLS = 25;
const N = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A generation's LLM output when nothing goes wrong: each call continues the context with the previous calls' tokens. */
function undisturbedOutput(generationId: string): number[] {
  let context = `Q ${generationId}:`;
  const out: number[] = [];
  for (let call = 0; call < CALLS; call++) {
    const tokens = derivedTokens(context, N);
    out.push(...tokens);
    context += tokens.map((t) => (t === 120 ? 'x' : ` t${t}`)).join('');
  }
  return out;
}

/**
 * The orchestrator's side as in production (one connection, a WorkerRegistry
 * fed by heartbeats, the pool with its default 2 s ack deadline and 3
 * attempts) and two in-process workers that take 100 ms per relay call, each
 * on its own connection with a heartbeat. The server is taken away while 24
 * generations of 25 calls each run.
 */
describe('NatsLlmPool rides through NATS outages (real nats-server, heartbeating worker stand-ins)', () => {
  let server: NatsServerHandle;
  const connections: NatsConnection[] = [];
  const announcers: WorkerAnnouncer[] = [];
  let registry: WorkerRegistry;
  let pool: NatsLlmPool;
  const outcomes: LlmRelayOutcome[] = [];

  beforeEach(async () => {
    server = await startNatsServer();
    const connect = async (name: string): Promise<NatsConnection> => {
      const nc = await connectNats({ servers: server.url, name });
      connections.push(nc);
      return nc;
    };
    for (const id of ['w1', 'w2']) {
      const nc = await connect(id);
      const worker = new NatsLlmWorkerFake(nc, id);
      worker.behaviour = 'derived';
      worker.answerDelayMs = 100;
      const announcer = new WorkerAnnouncer(nc, { workerId: id, kind: WorkerKind.WORKER_KIND_LLM, model: 'llm', maxSequences: 64, activeSequences: () => 0 });
      announcer.start();
      announcers.push(announcer);
      await nc.flush();
    }
    const poolNc = await connect('orchestrator');
    registry = new WorkerRegistry(poolNc);
    registry.start();
    await until(() => registry.live(WorkerKind.WORKER_KIND_LLM, 'llm').length >= 2, 'both LLM workers to be live', 2_000);
    outcomes.length = 0;
    pool = new NatsLlmPool({
      nc: poolNc,
      model: 'llm',
      workers: registry,
      affinity: new LlmAffinity({ store: new InMemoryKeyValueStore(), model: 'llm' }),
      attemptTimeoutMs: 20_000,
      onRelay: (o) => outcomes.push(o),
    });
  });

  afterEach(async () => {
    await Promise.all(announcers.splice(0).map((a) => a.stop(100)));
    registry?.close();
    await Promise.all(connections.splice(0).map((nc) => nc.close().catch(() => undefined)));
    await server?.stop();
  });

  async function generation(generationId: string): Promise<number[]> {
    let context = `Q ${generationId}:`;
    const out: number[] = [];
    for (let call = 0; call < CALLS; call++) {
      const request = relay({ generationId, callIndex: call, context: { text: context }, maxTokens: N });
      for (const chunk of await collect(pool.generate(request, new AbortController().signal))) {
        out.push(...chunk.tokens);
        context += chunk.text;
      }
    }
    return out;
  }

  /** Runs every generation; `fault` starts 700 ms in, while all of them are mid-way. */
  async function underFault(fault: () => Promise<void>): Promise<void> {
    const ids = Array.from({ length: GENERATIONS }, (_, i) => `gen-${i}`);
    const runs = Promise.allSettled(ids.map((id) => generation(id)));
    await sleep(700);
    await fault();
    const results = await runs;
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(failed).toEqual([]);
    results.forEach((r, i) => expect([ids[i], r.status === 'fulfilled' ? r.value : []]).toEqual([ids[i], undisturbedOutput(ids[i])]));
    expect(outcomes).toHaveLength(GENERATIONS * CALLS);
    // The outage burned no attempt: every call was answered by its first one.
    expect(outcomes.filter((o) => o.attempts > 1)).toEqual([]);
  }

  it('NATS killed (SIGKILL) for 3 s mid-relay: every generation completes with the undisturbed tokens', async () => {
    await underFault(async () => {
      const pid = server.pid as number;
      process.kill(pid, 'SIGKILL');
      await until(() => server.pid === undefined, 'nats-server to exit', 2_000);
      await sleep(3_000);
      await server.start();
    });
  }, 30_000);

  it('NATS frozen (SIGSTOP, socket left open) for 5 s mid-relay: every generation completes with the undisturbed tokens', async () => {
    await underFault(async () => {
      const pid = server.pid as number;
      process.kill(pid, 'SIGSTOP');
      await sleep(5_000);
      process.kill(pid, 'SIGCONT');
    });
  }, 30_000);

  it("an outage longer than the call's deadline ends it at the deadline (never a hang)", async () => {
    const deadlineAtMs = Date.now() + 1_500;
    const short = new NatsLlmPool({ nc: connections[connections.length - 1], model: 'llm', workers: registry });
    process.kill(server.pid as number, 'SIGKILL');
    const startedAt = Date.now();
    const error = await failure(short.generate(relay({ generationId: 'late', deadlineAtMs }), new AbortController().signal));
    expect([error.kind, error.reason]).toEqual(['deadline_exceeded', 'CALL_DEADLINE']);
    // Blamed on the broker, not on a worker that never acknowledged.
    expect(isRelayError(error.cause) && error.cause.reason).toBe('LLM_BROKER_DOWN');
    expect(Date.now() - startedAt).toBeLessThan(4_000);
  }, 10_000);
});
