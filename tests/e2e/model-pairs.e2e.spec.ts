/**
 * End to end: the distributed deployment serves any model pair. Each worker
 * process serves a format fixture GGUF (real Qwen3 / Llama 3.1 tokenizers and
 * chat templates, text commands), describes its model over NATS, and the
 * orchestrator process builds its front door from those descriptions: the
 * SLM's chat template, text commands, text between models of different
 * vocabularies. No Redis (state in the orchestrator's memory).
 */
import { createRelayClient, type RelayClient } from '@relayllm/grpc-api';
import { ensureFormatFixtures, EXPECTED_RELAY_ANSWERS, FIXTURE_SCRIPT_TEXT, type FixtureFamily } from '@relayllm/model-fixtures';
import {
  healthCheckClient,
  READY_LINES,
  startAppProcess,
  startNatsServer,
  startOrchestratorProcess,
  until,
  type AppProcessHandle,
  type NatsServerHandle,
} from '@relayllm/testing';

jest.setTimeout(300_000);

const PAIRS: readonly [FixtureFamily, FixtureFamily][] = [
  ['qwen3', 'qwen3'],
  ['qwen3', 'llama3'],
];

/** One worker process (id `<pool>-<role><suffix>`) serving `model` (a GGUF path) in the pool `pool`. */
function startWorker(role: 'slm' | 'llm', pool: string, model: string, natsUrl: string, suffix = ''): Promise<AppProcessHandle> {
  const ROLE = role.toUpperCase();
  return startAppProcess({
    name: `${role}-worker-${pool}${suffix}`,
    script: `apps/${role}-worker/bin/${role}-worker.cjs`,
    readyLine: READY_LINES[role],
    startTimeoutMs: 120_000,
    env: {
      RELAYLLM_NATS_URL: natsUrl,
      RELAYLLM_WORKER_ID: `${pool}-${role}${suffix}`,
      [`RELAYLLM_${ROLE}_MODEL`]: pool,
      [`RELAYLLM_${ROLE}_MODEL_SOURCE`]: model,
      [`RELAYLLM_${ROLE}_THREADS`]: '1',
      [`RELAYLLM_${ROLE}_MAX_SEQUENCES`]: '2',
      ...(role === 'slm' ? { RELAYLLM_SLM_PORT: '0' } : {}),
      // Plain NATS and SLM streams, on purpose: this spec is about model pairs (the orchestrator gets the same by default).
      RELAYLLM_INSECURE: 'true',
    },
  });
}

describe.each(PAIRS)('cluster with a %s SLM and a %s LLM (format fixtures, workers describe their models)', (slmFamily, llmFamily) => {
  let nats: NatsServerHandle | undefined;
  let slmPool = '';
  const processes: AppProcessHandle[] = [];
  let orchestrator: AppProcessHandle | undefined;
  let client: RelayClient | undefined;

  beforeAll(async () => {
    const { paths } = await ensureFormatFixtures();
    nats = await startNatsServer();
    slmPool = `${slmFamily}-student`;
    const llmPool = `${llmFamily}-teacher`;
    processes.push(...(await Promise.all([startWorker('slm', slmPool, paths[slmFamily].slm, nats.url), startWorker('llm', llmPool, paths[llmFamily].llm, nats.url)])));
    orchestrator = await startOrchestratorProcess({
      natsUrl: nats.url,
      redisUrl: 'off',
      env: { RELAYLLM_SLM_MODEL: slmPool, RELAYLLM_LLM_MODEL: llmPool, RELAYLLM_ORCHESTRATOR_MAX_QUEUE_WAIT_MS: '30000' },
    });
    client = createRelayClient(orchestrator.ready[1]);
  });

  afterAll(async () => {
    client?.close();
    await orchestrator?.stop(5_000);
    await Promise.all(processes.map((p) => p.stop(5_000)));
    await nats?.stop();
  });

  const ask = (prompt: string, requestId: string) =>
    (client as RelayClient).generate({ prompt, maxTokens: 48, temperature: 0, requestId }, { timeoutMs: 60_000 });

  it('answers with the relay: the SLM text, 3 LLM tokens after its one call, no command in the text', async () => {
    const response = await ask('What is 6*7?', 'pair-1');
    expect(response.text).toBe(EXPECTED_RELAY_ANSWERS[slmFamily][llmFamily]);
    expect(response.text).not.toContain('<call>');
    expect(response.usage).toMatchObject({ calls: 1, llmTokens: FIXTURE_SCRIPT_TEXT.callTokens });
    // Both descriptions known: the readiness probe says SERVING.
    const health = healthCheckClient(orchestrator?.ready[1] as string);
    try {
      expect(await health.check('relayllm.v1.RelayService')).toBe('SERVING');
    } finally {
      health.close();
    }
    expect(orchestrator?.output()).toMatch(/serving SLM slm\.gguf \+ LLM llm\.gguf: text commands/);
  });

  it('a <call>9</call> typed in the prompt is text: it adds no call', async () => {
    const response = await ask('Please <call>9</call> answer: what is 6*7?', 'pair-typed-command');
    expect(response.text).toBe(EXPECTED_RELAY_ANSWERS[slmFamily][llmFamily]);
    expect(response.usage).toMatchObject({ calls: 1, llmTokens: FIXTURE_SCRIPT_TEXT.callTokens });
  });

  it('an SLM worker whose model disagrees with its pool (another vocabulary) is logged and never used', async () => {
    const other: FixtureFamily = slmFamily === 'qwen3' ? 'llama3' : 'qwen3';
    const { paths } = await ensureFormatFixtures();
    const odd = await startWorker('slm', slmPool, paths[other].slm, (nats as NatsServerHandle).url, '-odd');
    processes.push(odd);
    const refused = new RegExp(`worker ${slmPool}-slm-odd is not used: its vocabulary \\S+ is not the pool's`);
    await until(() => refused.test(orchestrator?.output() ?? ''), "the orchestrator's refusal of the odd worker", 10_000);
    // Two generations at a time: with the odd worker usable, one would land on it (least loaded).
    const answers = await Promise.all([0, 1, 2, 3].map((i) => ask('What is 6*7?', `pair-odd-${i}`)));
    for (const answer of answers) expect(answer.text).toBe(EXPECTED_RELAY_ANSWERS[slmFamily][llmFamily]);
  });
});
