import { REFERENCE_COMMAND_SYNTAX } from '@relayllm/relay-core';
import { RemoteSlmEngine, StaticSlmWorkerDirectory, type SlmFailoverEvent } from '../index';
import {
  collectChunks,
  pollUntil,
  ScriptEngineFake,
  specRequest,
  SPEC_PROMPT,
  SPEC_SCRIPT,
  startInProcessWorker,
  textOfChunks,
  type InProcessWorker,
} from '../testing';

/**
 * The client's capacity bookkeeping against SlmStreamService over loopback
 * gRPC: a worker that leaves the directory (left, or frozen: its heartbeats
 * stopped) has its streams failed over; a worker this client fills is not
 * asked for another stream (no WORKER_FULL refusal), the generate waits.
 */
describe('RemoteSlmEngine capacity and departures (loopback gRPC, scripted engine)', () => {
  const workers: InProcessWorker[] = [];
  const engines: RemoteSlmEngine[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    for (const w of workers.splice(0)) w.kill();
  });

  /** An engine over `directory`, with the directory's change notifications under the spec's control. */
  function remote(directory: StaticSlmWorkerDirectory, failovers: SlmFailoverEvent[]) {
    const listeners = new Set<() => void>();
    const engine = new RemoteSlmEngine({
      directory,
      commandSyntax: () => REFERENCE_COMMAND_SYNTAX,
      onFailover: (e) => failovers.push(e),
      onCapacityChange: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
    engines.push(engine);
    return { engine, changed: () => listeners.forEach((l) => l()) };
  }

  const start = async (id: string, engine: ScriptEngineFake, settings = {}): Promise<InProcessWorker> => {
    const worker = await startInProcessWorker(id, engine, settings);
    workers.push(worker);
    return worker;
  };

  it('a worker that leaves the directory mid-stream (frozen: it stopped answering): the generate continues elsewhere, each token once', async () => {
    const ref = await start('ref', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT }));
    const undisturbed = textOfChunks(await collectChunks(remote(new StaticSlmWorkerDirectory([ref.info]), []).engine.generate(specRequest(), new AbortController().signal)));
    // 'a' stops after 5 tokens and never answers again, as a SIGSTOPped process.
    const a = await start('a', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT, holdAfter: 5 }), { flushTokens: 2, flushMs: 1 });
    const b = await start('b', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT }));
    const directory = new StaticSlmWorkerDirectory([a.info, b.info]);
    const failovers: SlmFailoverEvent[] = [];
    const { engine, changed } = remote(directory, failovers);
    let text = '';
    for await (const chunk of engine.generate(specRequest(), new AbortController().signal)) {
      if (text === '') {
        expect(engine.workerOf('g1/slm')).toBe('a');
        directory.remove('a'); // its heartbeats lapsed: the registry dropped it
        changed();
      }
      text += chunk.text;
    }
    expect(text).toBe(undisturbed);
    expect(failovers.map((f) => `${f.fromWorkerId}:${f.error.reason}`)).toEqual(['a:SLM_WORKER_GONE']);
    expect(engine.workerOf('g1/slm')).toBe('b');
  });

  it('a worker full of this client\'s own streams is not asked (no WORKER_FULL): the next generate waits for a slot of its own to free', async () => {
    const only = await start('a', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT }), { maxStreams: 1 });
    const failovers: SlmFailoverEvent[] = [];
    const { engine } = remote(new StaticSlmWorkerDirectory([only.info]), failovers);
    const first = await collectChunks(engine.generate(specRequest(), new AbortController().signal));
    // The first stream stays open (not released): the worker is full for this client.
    const second = collectChunks(engine.generate(specRequest({ sequenceId: 'g2/slm' }), new AbortController().signal));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(only.service.activeStreams).toBe(1);
    engine.release('g1/slm');
    expect(textOfChunks(await second)).toBe(textOfChunks(first));
    expect(failovers).toEqual([]);
    await pollUntil(() => engine.openStreams().get('a') === 1, 'only the second stream to hold a slot');
  });
});
