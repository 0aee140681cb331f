import { status, type ServiceError } from '@grpc/grpc-js';
import { ERROR_REASON_METADATA_KEY } from '@relayllm/grpc-api';
import { Policy, type GenerateEvent } from '@relayllm/proto';
import { IN_TASK_PROMPT, LONG_PACED_PROMPT, until } from '@relayllm/testing';
import { specConfig, startSpecEngines, startSpecServer, type SpecEngines, type SpecServer } from './testing/embedded-fixture';
import { setTimeout as sleep } from 'node:timers/promises';

/** Paced engines (see ObservedEngine): a generation of MAX_TOKENS takes seconds, so it is surely running when cut. */
const PACE_MS = 10;
const MAX_TOKENS = 400;
/**
 * The requirement: both engines stop within 100 ms of the cancel or the
 * deadline, on a machine that runs at the nominal pace. A loaded CI machine
 * (many suites at once on two cores) runs everything slower, the paced steps
 * with it, so the bound is scaled by how much slower than PACE_MS this run's
 * steps actually were, measured before the cut. A cut that reaches the engines
 * late holds their sequences for that long whatever the load.
 */
const STOP_WITHIN_MS = 100;
/** Paced decode steps the engines may still pass on after the cut. */
const STOP_WITHIN_STEPS = STOP_WITHIN_MS / PACE_MS;
/** Liveness only: how long the engines may take to go idle at all. */
const IDLE_DEADLINE_MS = 5_000;

/** A moment of the generation: wall time and paced steps passed so far. */
interface Mark {
  ms: number;
  steps: number;
}

describe('cancellation reaches the real engines (gRPC, real models)', () => {
  let engines: SpecEngines;
  let api: SpecServer;

  beforeAll(async () => {
    const config = specConfig();
    engines = await startSpecEngines(config);
    api = await startSpecServer(engines, config);
  }, 60_000);

  beforeEach(() => {
    engines.slm.delayMs = PACE_MS;
    engines.llm.delayMs = PACE_MS;
  });

  afterAll(async () => {
    await api?.close();
    await engines?.real.close();
  });

  const busy = (): number => engines.llama.slm.busySequences() + engines.llama.llm.busySequences();
  const evaluated = (): number => engines.llama.slm.evaluatedTokens + engines.llama.llm.evaluatedTokens;

  const steps = (): number => engines.slm.passedChunks + engines.llm.passedChunks;

  const mark = (): Mark => ({ ms: Date.now(), steps: steps() });

  /**
   * Both engines idle (no sequence leased) and no token evaluated afterwards,
   * within STOP_WITHIN_MS of the cut scaled by this run's pace (from `start`
   * to the cut), and with at most STOP_WITHIN_STEPS steps passed on after it.
   */
  async function expectStoppedWithin(start: Mark, cut: Mark): Promise<void> {
    const msPerStep = (cut.ms - start.ms) / Math.max(1, cut.steps - start.steps);
    const slowdown = Math.max(1, msPerStep / PACE_MS);
    await until(() => busy() === 0, 'every engine sequence to be released', IDLE_DEADLINE_MS);
    expect(Date.now() - cut.ms).toBeLessThanOrEqual(STOP_WITHIN_MS * slowdown);
    expect(steps() - cut.steps).toBeLessThanOrEqual(STOP_WITHIN_STEPS);
    const evaluatedAtStop = evaluated();
    await sleep(50);
    expect(evaluated()).toBe(evaluatedAtStop);
    expect(busy()).toBe(0);
  }

  // RELAY: the SLM is decoding when cut (and the LLM whenever it was called);
  // LLM_ONLY: the LLM is decoding when cut. Together: both engines stop.
  describe.each([
    ['RELAY', Policy.POLICY_RELAY],
    ['LLM_ONLY', Policy.POLICY_LLM_ONLY],
  ])('policy %s', (_name, policy) => {
    it('a client that cancels mid-stream', async () => {
      const call = api.client.generateStream({ prompt: IN_TASK_PROMPT, maxTokens: MAX_TOKENS, policy, temperature: 0 });
      const failure = new Promise<ServiceError>((resolve) => call.on('error', resolve));
      let completed = 0;
      call.on('data', (event: GenerateEvent) => {
        if (event.event?.$case === 'completed') completed += 1;
      });
      // Mid-stream: a model is decoding and has written a few paced tokens.
      await until(() => busy() > 0, 'a generation to hold an engine sequence', 5_000);
      const start = mark();
      await sleep(20 * PACE_MS);
      const busyAtCancel = busy();
      const cut = mark();
      call.cancel();
      expect((await failure).code).toBe(status.CANCELLED);
      expect(busyAtCancel).toBeGreaterThan(0);
      await expectStoppedWithin(start, cut);
      expect(completed).toBe(0);
    });

    it('a client whose deadline passes', async () => {
      const deadline = new Date(Date.now() + 300);
      const call = api.client.generateStream(
        { prompt: IN_TASK_PROMPT, maxTokens: MAX_TOKENS, policy, temperature: 0 },
        { deadline },
      );
      let completed = 0;
      call.on('data', (event: GenerateEvent) => {
        if (event.event?.$case === 'completed') completed += 1;
      });
      let busyBeforeDeadline = 0;
      const probe = setTimeout(() => (busyBeforeDeadline = busy()), 250);
      const start = mark();
      let cut: Mark | undefined;
      const atDeadline = setTimeout(() => (cut = mark()), deadline.getTime() - Date.now());
      const error = await new Promise<ServiceError>((resolve) => call.on('error', resolve));
      clearTimeout(probe);
      clearTimeout(atDeadline);
      expect(error.code).toBe(status.DEADLINE_EXCEEDED);
      expect(completed).toBe(0);
      expect(busyBeforeDeadline).toBeGreaterThan(0); // it was cut mid-stream
      await expectStoppedWithin(start, cut ?? mark());
    });
  });

  it('a request_id that is still running is refused; it is free again once that generation ends', async () => {
    const request = { prompt: LONG_PACED_PROMPT, maxTokens: MAX_TOKENS, requestId: 'same-id' };
    const controller = new AbortController();
    const first = api.client.generate(request, { signal: controller.signal }).catch((e: ServiceError) => e);
    await until(() => busy() > 0, 'a generation to hold an engine sequence', 5_000);
    const second = await api.client.generate(request).catch((e: ServiceError) => e);
    expect((second as ServiceError).code).toBe(status.FAILED_PRECONDITION);
    expect((second as ServiceError).metadata.get(ERROR_REASON_METADATA_KEY)).toEqual(['REQUEST_ID_IN_USE']);
    controller.abort();
    expect(((await first) as ServiceError).code).toBe(status.CANCELLED);
    await until(() => busy() === 0, 'the engine sequences to be released', 1_000);
    engines.slm.delayMs = 0;
    engines.llm.delayMs = 0;
    await expect(api.client.generate({ ...request, maxTokens: 4 })).resolves.toMatchObject({ requestId: 'same-id' });
  });

  it('the server request timeout stops a generation (DEADLINE_EXCEEDED, REQUEST_TIMEOUT)', async () => {
    const config = specConfig({ RELAYLLM_REQUEST_TIMEOUT_MS: '200' });
    const short = await startSpecServer(engines, config);
    try {
      const error = await short.client.generate({ prompt: LONG_PACED_PROMPT, maxTokens: MAX_TOKENS }).catch((e: ServiceError) => e);
      expect((error as ServiceError).code).toBe(status.DEADLINE_EXCEEDED);
      expect((error as ServiceError).metadata.get(ERROR_REASON_METADATA_KEY)).toEqual(['REQUEST_TIMEOUT']);
      await until(() => busy() === 0, 'every engine sequence to be released', IDLE_DEADLINE_MS);
    } finally {
      await short.close();
    }
  });
});
