import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats } from '@relayllm/nats-transport';
import { InMemoryKeyValueStore, LlmAffinity, type KeyValueStore } from '@relayllm/relay-cluster';
import { FailingKeyValueStoreFake } from '@relayllm/relay-cluster/testing';
import type { EngineChunk } from '@relayllm/relay-core';
import { natsServerFixture, startNatsServer, until, type NatsServerHandle } from '@relayllm/testing';
import { LiveWorkersFake } from '../testing/live-workers.fake';
import { collect, failure, NatsLlmWorkerFake, relay } from '../testing/nats-llm-worker.fake';
import { NatsLlmPool } from './nats-llm-pool';
import type { LlmRelayOutcome } from './nats-request-transport';

describe('NatsLlmPool against a real nats-server (in-process worker stand-ins)', () => {
  const nats = natsServerFixture(connectNats);
  const { connect, connections } = nats;

  it('no worker at all: bounded reissues, then unavailable LLM_NO_RESPONDERS', async () => {
    const pool = new NatsLlmPool({ nc: await connect('pool0'), model: 'llm' });
    const error = await failure(pool.generate(relay(), new AbortController().signal));
    expect([error.kind, error.reason]).toEqual(['unavailable', 'LLM_NO_RESPONDERS']);
  });

  describe('with two workers', () => {
    let a: NatsLlmWorkerFake;
    let b: NatsLlmWorkerFake;
    const workers = new LiveWorkersFake();
    let store: KeyValueStore;
    let poolNc: NatsConnection;
    const outcomes: LlmRelayOutcome[] = [];
    const pool = (overrides: Partial<ConstructorParameters<typeof NatsLlmPool>[0]> = {}): NatsLlmPool =>
      new NatsLlmPool({ nc: poolNc, model: 'llm', workers, affinity: new LlmAffinity({ store, model: 'llm' }), onRelay: (o) => outcomes.push(o), ...overrides });

    beforeAll(async () => {
      a = new NatsLlmWorkerFake(await connect('a'), 'a');
      b = new NatsLlmWorkerFake(await connect('b'), 'b');
      await Promise.all(connections.map((nc) => nc.flush()));
      poolNc = await connect('pool');
    });

    beforeEach(() => {
      a.behaviour = 'answer';
      b.behaviour = 'answer';
      workers.set([{ workerId: 'a' }, { workerId: 'b' }]);
      store = new InMemoryKeyValueStore();
      outcomes.length = 0;
    });

    it('answers as one multi-token chunk, then keeps the generation on the worker that answered', async () => {
      const hooks: string[] = [];
      const p = pool({
        traceHeaders: () => ({ traceparent: '00-trace-span-01' }),
        onRoute: ({ attempt, route }) => hooks.push(`route ${attempt} ${route.kind}`),
        onAttempt: ({ attempt, route }) => hooks.push(`sent ${attempt} ${route.kind}`),
      });
      const first = await collect(p.generate(relay(), new AbortController().signal));
      // The route is told before the request is published, once per attempt.
      expect(hooks).toEqual(['route 1 any', 'sent 1 any']);
      expect(first).toEqual([{ tokens: [120, 120, 120], text: 'xxx', tokenTexts: ['x', 'x', 'x'], finish: 'length' }]);
      const holder = outcomes[0].workerId;
      expect(outcomes[0].route).toEqual({ kind: 'any' });
      for (let call = 1; call <= 4; call++) {
        await collect(p.generate(relay({ callIndex: call, appendOnly: true, appendFrom: { text: 3 }, context: { text: `Compute 1+2.\nxxx${call}` } }), new AbortController().signal));
      }
      expect(outcomes.map((o) => o.workerId)).toEqual(Array(5).fill(holder));
      expect(outcomes.slice(1).map((o) => o.route)).toEqual(Array(4).fill({ kind: 'worker', workerId: holder }));
      expect(outcomes[1].reusedPrefixTokens).toBe(5);
      expect([...a.traceparents, ...b.traceparents].every((t) => t === '00-trace-span-01')).toBe(true);
    });

    it('queue group not usable (a refused worker may listen there): every attempt names a known worker', async () => {
      await collect(pool({ queueGroupUsable: () => false }).generate(relay(), new AbortController().signal));
      expect(outcomes.map((o) => o.route)).toEqual([{ kind: 'worker', workerId: 'a' }]);
    });

    it('affinity worker full per its heartbeat: the queue group (or, after a WORKER_FULL reply, the other worker) answers', async () => {
      await store.set('relay:affinity:gen:llm:gen-1', 'a', 60_000);
      workers.set([{ workerId: 'a', activeSequences: 2 }, { workerId: 'b' }]);
      a.behaviour = 'full';
      await collect(pool().generate(relay(), new AbortController().signal));
      expect(outcomes[0].workerId).toBe('b');
      const { attempts, route } = outcomes[0];
      expect([1, 2]).toContain(attempts);
      expect(route).toEqual(attempts === 1 ? { kind: 'any' } : { kind: 'worker', workerId: 'b' });
    });

    it('affinity worker full by its reply (heartbeat not yet updated): reissued on the other worker, then affinity moves', async () => {
      await store.set('relay:affinity:gen:llm:gen-1', 'a', 60_000);
      a.behaviour = 'full';
      await collect(pool().generate(relay(), new AbortController().signal));
      expect(outcomes[0]).toMatchObject({ workerId: 'b', attempts: 2, route: { kind: 'worker', workerId: 'b' } });
      expect(await store.get('relay:affinity:gen:llm:gen-1')).toBe('b');
    });

    it('every worker full: resource_exhausted WORKERS_BUSY after the bounded attempts', async () => {
      a.behaviour = 'full';
      b.behaviour = 'full';
      const error = await failure(pool().generate(relay(), new AbortController().signal));
      expect([error.kind, error.reason]).toEqual(['resource_exhausted', 'WORKERS_BUSY']);
    });

    it('the worker running the call dies (acked, then expired): reissued elsewhere with the same context and n', async () => {
      await store.set('relay:affinity:gen:llm:gen-1', 'a', 60_000);
      a.behaviour = 'silent';
      const seenBefore = a.seen.length;
      const stream = pool({ attemptTimeoutMs: 60_000 }).generate(relay({ maxTokens: 2 }), new AbortController().signal);
      const done = collect(stream);
      await until(() => a.seen.length > seenBefore, 'worker a to receive the call', 2_500);
      workers.expire('a');
      expect(await done).toEqual([{ tokens: [120, 120], text: 'xx', tokenTexts: ['x', 'x'], finish: 'length' }]);
      expect([outcomes[0].workerId, outcomes[0].attempts]).toEqual(['b', 2]);
      const reissued = b.seen[b.seen.length - 1];
      expect([reissued.contextText, reissued.maxTokens, reissued.attempt]).toEqual(['Compute 1+2.\n', 2, 2]);
      // The cancel is a NATS message: it may still be in flight when the reissued stream ends.
      await until(() => a.cancels.some((c) => c.generationId === 'gen-1'), "the dead worker's cancel for gen-1", 2_000);
    });

    // The attempt timeout (60 s) is far above the test's own (10 s): only the ack deadline can reissue in time.
    it('a request lost before its ack (worker died after NATS delivered it): reissued after the ack deadline, not the attempt timeout', async () => {
      await store.set('relay:affinity:gen:llm:gen-1', 'a', 60_000);
      a.behaviour = 'lost';
      const cancelsBefore = a.cancels.length;
      const chunks = await collect(pool({ attemptTimeoutMs: 60_000 }).generate(relay({ maxTokens: 2 }), new AbortController().signal));
      expect(chunks).toEqual([{ tokens: [120, 120], text: 'xx', tokenTexts: ['x', 'x'], finish: 'length' }]);
      expect(outcomes[0]).toMatchObject({ workerId: 'b', attempts: 2, route: { kind: 'worker', workerId: 'b' } });
      const reissued = b.seen[b.seen.length - 1];
      expect([reissued.contextText, reissued.maxTokens, reissued.attempt]).toEqual(['Compute 1+2.\n', 2, 2]);
      // The abandoned attempt is cancelled as on a timeout.
      await until(() => a.cancels.slice(cancelsBefore).some((c) => c.generationId === 'gen-1'), "the abandoned attempt's cancel", 2_000);
    }, 10_000);

    it('every attempt lost: bounded reissues, then unavailable LLM_ACK_TIMEOUT', async () => {
      a.behaviour = 'lost';
      b.behaviour = 'lost';
      const seen = a.seen.length + b.seen.length;
      const error = await failure(pool({ attemptTimeoutMs: 60_000, ackTimeoutMs: 200, maxAttempts: 2 }).generate(relay(), new AbortController().signal));
      expect([error.kind, error.reason]).toEqual(['unavailable', 'LLM_ACK_TIMEOUT']);
      expect(a.seen.length + b.seen.length).toBe(seen + 2);
    }, 10_000);

    it('once acked, the ack deadline no longer applies: a slow reply is awaited', async () => {
      await store.set('relay:affinity:gen:llm:gen-1', 'a', 60_000);
      a.behaviour = 'held';
      const seenBefore = a.seen.length + b.seen.length;
      const done = collect(pool({ attemptTimeoutMs: 60_000, ackTimeoutMs: 300 }).generate(relay(), new AbortController().signal));
      await until(() => a.seen.length + b.seen.length > seenBefore, 'a worker to receive the call', 2_500);
      // Well past the ack deadline, the acked attempt is still the only one.
      await new Promise((r) => setTimeout(r, 1_200));
      a.release();
      expect((await done)[0]?.text).toBe('xxx');
      expect(outcomes[0]).toMatchObject({ workerId: 'a', attempts: 1 });
      expect(a.seen.length + b.seen.length).toBe(seenBefore + 1);
    }, 10_000);

    it('a silent worker that the registry does not know: the attempt timeout reissues', async () => {
      a.behaviour = 'silent';
      b.behaviour = 'silent';
      const error = await failure(pool({ attemptTimeoutMs: 50, maxAttempts: 2 }).generate(relay(), new AbortController().signal));
      expect([error.kind, error.reason]).toEqual(['unavailable', 'LLM_ATTEMPT_TIMEOUT']);
    });

    it("with the request's deadline: attempts stop at it (deadline_exceeded), and the worker is told the earlier deadline", async () => {
      a.behaviour = 'silent';
      b.behaviour = 'silent';
      const deadlineAtMs = Date.now() + 200;
      const error = await failure(pool({ attemptTimeoutMs: 60_000 }).generate(relay({ generationId: 'gen-deadline', deadlineAtMs }), new AbortController().signal));
      expect([error.kind, error.reason]).toEqual(['deadline_exceeded', 'CALL_DEADLINE']);
      const sent = [...a.seen, ...b.seen].filter((s) => s.generationId === 'gen-deadline');
      expect(sent.length).toBeGreaterThanOrEqual(1);
      expect(sent.every((s) => s.timeoutMs > 0 && s.timeoutMs <= 200)).toBe(true);
    });

    it('abort: the stream ends without output and the worker gets a cancel', async () => {
      a.behaviour = 'silent';
      b.behaviour = 'silent';
      const controller = new AbortController();
      const done = collect(pool().generate(relay({ generationId: 'gen-abort' }), controller.signal));
      await until(() => a.seen.concat(b.seen).some((s) => s.generationId === 'gen-abort'), 'a worker to receive gen-abort', 2_500);
      controller.abort();
      expect(await done).toEqual([]);
      await until(() => [...a.cancels, ...b.cancels].some((c) => c.generationId === 'gen-abort'), 'the cancel for gen-abort', 2_500);
    });

    it("a worker's deadline_exceeded (the attempt's deadline) is reissued like a timeout", async () => {
      await store.set('relay:affinity:gen:llm:gen-1', 'a', 60_000);
      a.behaviour = 'late';
      await collect(pool().generate(relay(), new AbortController().signal));
      expect(outcomes[0]).toMatchObject({ workerId: 'b', attempts: 2 });
    });

    it('a run the worker cut short (finish abort, not asked by the caller) is no answer: reissued elsewhere, its partial tokens dropped', async () => {
      await store.set('relay:affinity:gen:llm:gen-1', 'a', 60_000);
      a.behaviour = 'cut';
      expect(await collect(pool().generate(relay(), new AbortController().signal))).toEqual([{ tokens: [120, 120, 120], text: 'xxx', tokenTexts: ['x', 'x', 'x'], finish: 'length' }]);
      expect(outcomes[0]).toMatchObject({ workerId: 'b', attempts: 2 });
    });

    it('a request error is not reissued: its RelayError is thrown by kind', async () => {
      a.behaviour = 'bad-request';
      b.behaviour = 'bad-request';
      const seen = a.seen.length + b.seen.length;
      const error = await failure(pool().generate(relay(), new AbortController().signal));
      expect([error.kind, error.reason, error.field]).toEqual(['invalid_argument', 'CONTEXT_TOO_LONG', 'context']);
      expect(a.seen.length + b.seen.length).toBe(seen + 1);
    });

    it('a failing affinity store means no affinity, and the relay still succeeds', async () => {
      const broken = new FailingKeyValueStoreFake(new Error('redis down'));
      store = broken;
      const chunks = await collect(pool().generate(relay(), new AbortController().signal));
      expect(chunks[0]?.text).toBe('xxx');
      expect(outcomes[0].route).toEqual({ kind: 'any' });
    });
  });

  describe('a request lost in the queue group', () => {
    // Model 'llm-q': the queue group holds only `lost`; `spare` listens on its own subject only.
    it('the ack deadline reissues it on a known live worker', async () => {
      const lost = new NatsLlmWorkerFake(await connect('q-lost'), 'q-lost', { model: 'llm-q' });
      const spare = new NatsLlmWorkerFake(await connect('q-spare'), 'q-spare', { model: 'llm-q', queue: false });
      lost.behaviour = 'lost';
      await Promise.all(connections.map((nc) => nc.flush()));
      const workers = new LiveWorkersFake();
      workers.set([{ workerId: 'q-spare', model: 'llm-q' }]);
      const outcomes: LlmRelayOutcome[] = [];
      const pool = new NatsLlmPool({ nc: await connect('q-pool'), model: 'llm-q', workers, attemptTimeoutMs: 60_000, onRelay: (o) => outcomes.push(o) });
      const chunks = await collect(pool.generate(relay({ generationId: 'gen-q' }), new AbortController().signal));
      expect(chunks[0]?.text).toBe('xxx');
      expect(outcomes).toMatchObject([{ workerId: 'q-spare', attempts: 2, route: { kind: 'worker', workerId: 'q-spare' } }]);
      expect([lost.seen.length, spare.seen.length]).toEqual([1, 1]);
    }, 10_000);
  });

  describe('NATS restarts during a relay', () => {
    let restarting: NatsServerHandle;
    const own: NatsConnection[] = [];

    afterAll(async () => {
      await Promise.all(own.map((nc) => nc.close().catch(() => undefined)));
      await restarting?.stop();
    });

    // The ride-through itself (calls in flight complete) is nats-outage.integration.spec.ts; here the worker never answers.
    it('a call in flight whose worker stays silent still ends unavailable within its bound (never hangs); later calls succeed after reconnect', async () => {
      restarting = await startNatsServer();
      const workerNc = await connectNats({ servers: restarting.url, name: 'restart-worker' });
      const poolNc = await connectNats({ servers: restarting.url, name: 'restart-pool' });
      own.push(workerNc, poolNc);
      const worker = new NatsLlmWorkerFake(workerNc, 'c');
      await workerNc.flush();
      worker.behaviour = 'silent';
      const pool = new NatsLlmPool({ nc: poolNc, model: 'llm', attemptTimeoutMs: 500, maxAttempts: 2 });
      const inFlight = failure(pool.generate(relay({ generationId: 'restart' }), new AbortController().signal));
      await until(() => worker.seen.length > 0, 'the worker to receive the call', 2_500);
      await restarting.stop();
      await restarting.start();
      const error = await inFlight;
      expect(error.kind).toBe('unavailable');
      worker.behaviour = 'answer';
      let answered: EngineChunk[] | undefined;
      for (let i = 0; i < 100 && answered === undefined; i++) {
        try {
          answered = await collect(pool.generate(relay({ generationId: `after-${i}` }), new AbortController().signal));
        } catch {
          await new Promise((r) => setTimeout(r, 100)); // both clients are still reconnecting
        }
      }
      expect(answered?.[0]?.text).toBe('xxx');
    });
  });
});
