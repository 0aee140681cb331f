/**
 * End to end: the distributed deployment (orchestrator + 2 SLM workers + 3
 * LLM workers, each its own process, real nats-server and redis-server on
 * free ports, secured with generated credentials as `npm run cluster` is)
 * against the embedded one-process mode on the reference models.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { createRelayClient, type RelayClient } from '@relayllm/grpc-api';
import {
  RESUME_PROMPT,
  startLocalCluster,
  startLocalServices,
  startOrchestratorProcess,
  type AppProcessHandle,
  type LocalClusterHandle,
  type LocalServicesHandle,
} from '@relayllm/testing';
import { generateLocalSecrets, NATS_ROLE_USERS, type LocalSecrets } from '@relayllm/security';
import { busySequencesAfter, firstRelayStarted, retryWhileLeased, untilServing } from './cluster-probes';
import { faultCounts, faultsDuring, faultsSince } from './fault-counters';
import { clusterOutcomes, embeddedOutcomes, type Outcome } from './outcomes';
import { mapConcurrent, referencePrompts } from './prompts';
jest.setTimeout(300_000);

const PROMPT_COUNT = 100;
/** Generations running while a worker is killed. */
const FAULT_RUN_COUNT = 200;
/** RESUME_PROMPT calls the LLM early, then runs long: an orchestrator can die in the middle of it. */
const LONG_PROMPT = RESUME_PROMPT;
const RESUME_MAX_TOKENS = 480;
const MAX_TOKENS = 128;
/**
 * Generations in flight. Outputs are batch-invariant (llama-cpp's
 * serializeSampling: concurrent-sequences.integration.spec.ts), so concurrency
 * changes no answer. Each model process decodes one sequence at a time (the
 * backpressure test counts its SLM slots as 2 workers x 1 sequence);
 * concurrency comes from the cluster's several workers.
 */
const CONCURRENCY = 4;

/** `prompts` through the cluster's API at temperature 0, MAX_TOKENS each. */
const ask = (client: RelayClient, prompts: string[], runId: string, onDone?: (done: number) => void, concurrency = CONCURRENCY): Promise<Outcome[]> =>
  clusterOutcomes(client, prompts, runId, onDone, concurrency, MAX_TOKENS);

describe('cluster vs embedded (reference models, temperature 0)', () => {
  const faultPrompts = referencePrompts(FAULT_RUN_COUNT);
  const prompts = faultPrompts.slice(0, PROMPT_COUNT);
  let services: LocalServicesHandle | undefined;
  let cluster: LocalClusterHandle | undefined;
  let client: RelayClient | undefined;
  let expectedAll: Outcome[] = [];
  let expected: Outcome[] = [];
  let expectedResume: Outcome | undefined;

  beforeAll(async () => {
    // Embedded first, alone on the CPU; then the cluster.
    const all = await embeddedOutcomes([...faultPrompts, RESUME_PROMPT], [...faultPrompts.map(() => MAX_TOKENS), RESUME_MAX_TOKENS]);
    expectedResume = all.pop();
    expectedAll = all;
    expected = expectedAll.slice(0, PROMPT_COUNT);
    // Secured as `npm run cluster` runs (generated NATS users, Redis password, SLM mTLS).
    services = await startLocalServices({ secrets: generateLocalSecrets({ validDays: 1 }) });
    cluster = await startLocalCluster({
      ...services.connection,
      slmSequences: 1,
      llmSequences: 1,
      env: { RELAYLLM_METRICS_PORT: '0' }, // the fault runs read the fault counters
      orchestratorEnv: {
        RELAYLLM_ORCHESTRATOR_MAX_QUEUE_WAIT_MS: '60000',
        // A relay lost with a killed worker before it acknowledged is only
        // noticed when its attempt times out; the reference LLM answers a
        // relay in milliseconds, so 5 s keeps the fault runs short.
        RELAYLLM_ORCHESTRATOR_LLM_REQUEST_TIMEOUT_MS: '5000',
      },
    });
    client = createRelayClient(cluster.address);
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop(5_000);
    await services?.stop();
  });

  it(`returns exactly what the embedded mode returns for ${PROMPT_COUNT} prompts`, async () => {
    const actual = await ask(client as RelayClient, prompts, 'run-a');
    expect(actual).toEqual(expected);
    // The prompts exercise the relay: some generations did call the LLM.
    expect(expected.filter((o) => o.calls > 0).length).toBeGreaterThan(0);
  });

  it('a second orchestrator replica shares the generation state: a retried request_id does not run twice', async () => {
    let replica: AppProcessHandle | undefined;
    let other: RelayClient | undefined;
    try {
      replica = await startOrchestratorProcess({ ...(services as LocalServicesHandle).connection, name: 'orchestrator-2' });
      other = createRelayClient(replica.ready[1]);
      // Sampled (temperature 1, no seed): a second run would almost surely differ; the stored result does not.
      const request = { prompt: prompts[2], maxTokens: MAX_TOKENS, temperature: 1, requestId: 'replicated-1' };
      const first = await (client as RelayClient).generate(request, { timeoutMs: 60_000 });
      const retried = await other.generate(request, { timeoutMs: 60_000 });
      expect(retried.text).toBe(first.text);
      expect(retried.usage).toEqual(first.usage);
      // Another request on the same id (running or done) is refused on either replica.
      const reused = other.generate({ ...request, prompt: prompts[3] }, { timeoutMs: 60_000 });
      await expect(reused).rejects.toMatchObject({ code: GrpcStatus.FAILED_PRECONDITION });
    } finally {
      other?.close();
      await replica?.stop(5_000);
    }
  });

  it('an orchestrator killed mid-generation: a retry on another replica resumes it once the lease lapses, same answer', async () => {
    let replica: AppProcessHandle | undefined;
    let doomed: RelayClient | undefined;
    try {
      replica = await startOrchestratorProcess({
        ...(services as LocalServicesHandle).connection,
        name: 'orchestrator-doomed',
        env: { RELAYLLM_ORCHESTRATOR_GENERATION_LEASE_MS: '1500' },
      });
      doomed = createRelayClient(replica.ready[1]);
      const request = { prompt: RESUME_PROMPT, maxTokens: RESUME_MAX_TOKENS, temperature: 0, requestId: 'resumed-1' };
      const stream = doomed.generateStream(request, { timeoutMs: 60_000 });
      stream.on('error', () => undefined);
      // Kill -9 right after the first handoff (the relay call started: state saved with the SLM's first stream).
      await firstRelayStarted(stream);
      const victim = replica;
      victim.kill('SIGKILL');
      await victim.exited;

      const { response, refused } = await retryWhileLeased(client as RelayClient, request, 30_000);
      expect(refused).toBeGreaterThan(0);
      expect(response && { text: response.text, finishReason: response.finishReason, calls: response.usage?.calls ?? 0 }).toEqual(expectedResume);
      expect((cluster as LocalClusterHandle).orchestrator.output()).toMatch(/resumed generation resumed-1 of \S+ \(lease lapsed\) from [1-9]\d* saved streams/);
    } finally {
      doomed?.close();
      await replica?.stop(2_000);
    }
  });

  it('backpressure: with every SLM slot busy, requests queue up to the bound, then RESOURCE_EXHAUSTED', async () => {
    let replica: AppProcessHandle | undefined;
    let small: RelayClient | undefined;
    try {
      replica = await startOrchestratorProcess({
        ...(services as LocalServicesHandle).connection,
        name: 'orchestrator-small-queue',
        env: { RELAYLLM_ORCHESTRATOR_MAX_QUEUED: '1', RELAYLLM_ORCHESTRATOR_MAX_QUEUE_WAIT_MS: '100' },
      });
      small = createRelayClient(replica.ready[1]);
      const c = small;
      // Until its registry has heard the SLM workers, the replica has no slot at all.
      await untilServing(c, prompts[0], 15_000);
      // Two heartbeat intervals and a half more: every worker has been heard, not only the first.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      // 2 SLM workers x 1 sequence = 2 slots; 1 may wait; the rest are refused at once.
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          c.generate({ prompt: RESUME_PROMPT, maxTokens: RESUME_MAX_TOKENS, temperature: 0, requestId: `pressure-${i}` }, { timeoutMs: 60_000 }).then(
            (response) => ({ ok: true as const, text: response.text }),
            (error: { code?: number; metadata?: { get(key: string): unknown[] } }) => ({
              ok: false as const,
              code: error.code,
              reason: error.metadata?.get('relayllm-error-reason')[0],
            }),
          ),
        ),
      );
      const refused = results.filter((r) => !r.ok);
      expect(results.filter((r) => r.ok).length).toBeGreaterThanOrEqual(2);
      for (const r of results) if (r.ok) expect(r.text).toBe(expectedResume?.text);
      expect(refused.length).toBeGreaterThanOrEqual(3);
      for (const r of refused) expect(r).toMatchObject({ code: GrpcStatus.RESOURCE_EXHAUSTED, reason: expect.stringMatching(/^ADMISSION_(QUEUE_FULL|WAIT_EXPIRED)$/) });
      expect(refused.some((r) => !r.ok && r.reason === 'ADMISSION_QUEUE_FULL')).toBe(true);
    } finally {
      small?.close();
      await replica?.stop(5_000);
    }
  });

  it('with Redis stopped for the whole run: still identical (affinity, cache and state bypassed)', async () => {
    await services?.redis.stop();
    try {
      const [actual, faults] = await faultsDuring((cluster as LocalClusterHandle).orchestrator, () => ask(client as RelayClient, prompts, 'run-b'));
      expect(actual).toEqual(expected);
      expect((cluster as LocalClusterHandle).orchestrator.output()).toContain('bypassing');
      expect(faults.relayllm_store_bypass_total).toBeGreaterThan(0);
    } finally {
      await services?.redis.start();
    }
  });

  it('a cancelled or expired request leaves no busy sequence on any worker', async () => {
    const c = client as RelayClient;
    // Expired: a deadline far shorter than the generation.
    const expired = c.generate({ prompt: LONG_PROMPT, maxTokens: 2048, temperature: 0, requestId: 'expired' }, { timeoutMs: 30 });
    await expect(expired).rejects.toMatchObject({ code: expect.any(Number) });
    // Cancelled: the client aborts a stream after its first event.
    const abort = new AbortController();
    const stream = c.generateStream({ prompt: LONG_PROMPT, maxTokens: 2048, temperature: 0, requestId: 'cancelled' }, { signal: abort.signal });
    await new Promise<void>((resolve) => {
      stream.once('data', () => resolve());
      stream.once('error', () => resolve());
      stream.once('end', () => resolve());
    });
    abort.abort();
    stream.on('error', () => undefined);

    const workers = (cluster as LocalClusterHandle).all().length - 1;
    const orchestratorNats = { user: NATS_ROLE_USERS.orchestrator, pass: (services?.secrets as LocalSecrets).natsPasswords.orchestrator };
    expect(await busySequencesAfter((services as LocalServicesHandle).nats.url, workers, Date.now(), 30_000, orchestratorNats)).toEqual([]);
  });

  it(`kill -9 of one LLM worker while ${FAULT_RUN_COUNT} generations run: all complete, identical to an undisturbed run`, async () => {
    const victim = (cluster as LocalClusterHandle).llmWorkers[0];
    // Whether a relay is in flight on the victim when it dies is chance (a few short relays per run; one full run had none), so the
    // reissue counter is not asserted here: libs/observability fault-metrics.spec.ts proves each survived failure is counted.
    const actual = await ask(client as RelayClient, faultPrompts, 'run-kill-llm', (done) => {
      if (done === 20) victim.kill('SIGKILL');
    }, 8);
    expect(await victim.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(actual).toEqual(expectedAll);
  });

  it(`kill -9 of one SLM worker while ${FAULT_RUN_COUNT} generations run: all complete, identical to an undisturbed run`, async () => {
    const victim = (cluster as LocalClusterHandle).slmWorkers[0];
    const [actual, faults] = await faultsDuring((cluster as LocalClusterHandle).orchestrator, () => ask(client as RelayClient, faultPrompts, 'run-kill-slm', (done) => {
      if (done === 20) victim.kill('SIGKILL');
    }, 8));
    expect(await victim.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(actual).toEqual(expectedAll);
    expect(faults.relayllm_slm_failovers_total).toBeGreaterThan(0);
  });

  it(`kill -9 of one LLM worker while ${FAULT_RUN_COUNT} generations run with Redis stopped: identical`, async () => {
    const victim = (cluster as LocalClusterHandle).llmWorkers[1];
    await services?.redis.stop();
    try {
      const actual = await ask(client as RelayClient, faultPrompts, 'run-kill-llm-no-redis', (done) => {
        if (done === 20) victim.kill('SIGKILL');
      }, 8);
      expect(await victim.exited).toMatchObject({ signal: 'SIGKILL' });
      expect(actual).toEqual(expectedAll);
    } finally {
      await services?.redis.start();
    }
  });

  it('NATS restarted mid-run: every generation completes identically or fails UNAVAILABLE (none hangs); the cluster recovers', async () => {
    const c = client as RelayClient;
    const server = (services as LocalServicesHandle).nats;
    const watched = [(cluster as LocalClusterHandle).orchestrator, (cluster as LocalClusterHandle).llmWorkers[2]!]; // alive: the kills hit [0], [1]
    const before = await Promise.all(watched.map(faultCounts));
    let restart: Promise<void> | undefined;
    const batch = prompts.slice(0, 40);
    const results = await mapConcurrent(batch, CONCURRENCY, async (prompt, i) => {
      if (i === 10) {
        restart = (async () => {
          await server.stop();
          await new Promise((resolve) => setTimeout(resolve, 500));
          await server.start();
        })();
      }
      try {
        const response = await c.generate({ prompt, maxTokens: MAX_TOKENS, temperature: 0, requestId: `run-nats-${i}` }, { timeoutMs: 90_000 });
        return { ok: true as const, outcome: { text: response.text, finishReason: response.finishReason, calls: response.usage?.calls ?? 0 } };
      } catch (error) {
        return { ok: false as const, code: (error as { code?: number }).code };
      }
    });
    await restart;
    for (const [i, p] of watched.entries()) expect((await faultsSince(p, before[i]!)).relayllm_broker_disconnects_total).toBeGreaterThanOrEqual(1);
    for (const [i, result] of results.entries()) {
      if (result.ok) expect(result.outcome).toEqual(expected[i]);
      else expect(result.code).toBe(GrpcStatus.UNAVAILABLE);
    }
    // Recovered: workers reconnect and re-announce; new generations succeed.
    const after = await ask(c, prompts.slice(0, 10), 'run-after-nats');
    expect(after).toEqual(expected.slice(0, 10));
  });
});
