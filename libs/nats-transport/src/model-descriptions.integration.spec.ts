import type { NatsConnection } from '@nats-io/nats-core';
import { WorkerKind } from '@relayllm/proto';
import { referenceModels, type ModelDescription } from '@relayllm/relay-core';
import { natsServerFixture } from '@relayllm/testing';
import { modelDescriptionToWire } from '@relayllm/worker-protocol';
import { connectNats, DescribedWorkers, ModelDescriptionResponder, WorkerAnnouncer, WorkerRegistry } from './index';

const SLM_POOL = { kind: WorkerKind.WORKER_KIND_SLM, model: 'slm' };
const LLM_POOL = { kind: WorkerKind.WORKER_KIND_LLM, model: 'llm' };

const textModel = (vocabularyId: string): ModelDescription => ({
  profile: { name: `${vocabularyId}.gguf`, vocabularyId, commandSyntax: { kind: 'text' }, endOfTurnIds: [7], contextLength: 1024 },
  chat: { kind: 'template', source: { template: '{{ messages[0].content }}', origin: 'test' } },
  tokenizer: undefined,
});

/** Waits until `check` holds (bounded by the test's timeout). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('model descriptions over a real nats-server', () => {
  const nats = natsServerFixture(connectNats);
  const stops: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  /** A worker as the apps run one: it answers its describe subject and heartbeats its hash. */
  async function worker(workerId: string, kind: WorkerKind, model: string, description: ModelDescription | undefined): Promise<void> {
    const nc: NatsConnection = await nats.connect(workerId);
    const responder =
      description === undefined ? undefined : new ModelDescriptionResponder(nc, { workerId, kind, model, description: modelDescriptionToWire(description) });
    responder?.start();
    const announcer = new WorkerAnnouncer(nc, { workerId, kind, model, maxSequences: 1, activeSequences: () => 0, intervalMs: 50, descriptionHash: responder?.hash });
    announcer.start();
    stops.push(() => announcer.stop(), () => responder?.stop());
  }

  it('learns each pool model from its workers; a worker that disagrees or announces none is never listed, and is logged', async () => {
    const registry = new WorkerRegistry(await nats.connect('registry'), { sweepIntervalMs: 50 });
    registry.start();
    const lines: string[] = [];
    const described = new DescribedWorkers({ nc: await nats.connect('orchestrator'), registry, pools: [SLM_POOL, LLM_POOL], log: (line) => lines.push(line) });
    described.start();
    stops.push(() => described.close(), () => registry.close());

    await worker('slm-a', WorkerKind.WORKER_KIND_SLM, 'slm', textModel('qwen'));
    const models = described.described();
    await worker('llm-a', WorkerKind.WORKER_KIND_LLM, 'llm', referenceModels(512).llm);
    const [slm, llm] = await models;
    expect(slm.profile).toMatchObject({ vocabularyId: 'qwen', commandSyntax: { kind: 'text' }, contextLength: 1024 });
    expect(slm.chat).toEqual({ kind: 'template', source: { template: '{{ messages[0].content }}', origin: 'test' } });
    expect(llm.profile.commandSyntax.kind).toBe('token');
    expect(lines.some((l) => /SLM pool "slm" serves qwen\.gguf \(text commands, context 1024/.test(l))).toBe(true);

    await worker('slm-b', WorkerKind.WORKER_KIND_SLM, 'slm', textModel('qwen'));
    await worker('slm-odd', WorkerKind.WORKER_KIND_SLM, 'slm', textModel('llama'));
    await worker('slm-old', WorkerKind.WORKER_KIND_SLM, 'slm', undefined);
    await until(() => registry.live(WorkerKind.WORKER_KIND_SLM, 'slm').length === 4 && described.live(WorkerKind.WORKER_KIND_SLM, 'slm').length === 2);
    await until(() => lines.filter((l) => l.includes('is not used')).length === 2);
    expect(described.live(WorkerKind.WORKER_KIND_SLM, 'slm').map((w) => w.workerId)).toEqual(['slm-a', 'slm-b']);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/worker slm-odd is not used: its vocabulary llama is not the pool's qwen/),
        expect.stringMatching(/worker slm-old is not used: it announces no model description/),
      ]),
    );
    expect(described.description(SLM_POOL)?.profile.vocabularyId).toBe('qwen');
  });

  it('a description that cannot be fetched yet (no responder) is asked again at a later heartbeat, and logged once', async () => {
    const registry = new WorkerRegistry(await nats.connect('registry-late'), { sweepIntervalMs: 50 });
    registry.start();
    const lines: string[] = [];
    const pool = { kind: WorkerKind.WORKER_KIND_LLM, model: 'late' };
    const described = new DescribedWorkers({ nc: await nats.connect('orchestrator-late'), registry, pools: [pool], log: (line) => lines.push(line) });
    described.start();
    stops.push(() => described.close(), () => registry.close());
    const nc = await nats.connect('late-worker');
    const responder = new ModelDescriptionResponder(nc, { workerId: 'late-1', ...pool, description: modelDescriptionToWire(textModel('late')) });
    const announcer = new WorkerAnnouncer(nc, { workerId: 'late-1', ...pool, maxSequences: 1, activeSequences: () => 0, intervalMs: 30, descriptionHash: responder.hash });
    announcer.start();
    stops.push(() => announcer.stop(), () => responder.stop());
    await until(() => lines.some((l) => l.includes('describing worker late-1 failed')));
    await new Promise((resolve) => setTimeout(resolve, 150)); // several more heartbeats, each asking again
    expect(described.live(pool.kind, pool.model)).toEqual([]);
    responder.start();
    const [model] = await described.described([pool]);
    expect(model.profile.vocabularyId).toBe('late');
    expect(described.live(pool.kind, pool.model).map((w) => w.workerId)).toEqual(['late-1']);
    expect(lines.filter((l) => l.includes('describing worker late-1 failed'))).toHaveLength(1);
  });
});
