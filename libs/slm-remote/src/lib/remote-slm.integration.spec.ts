import { createServer, type AddressInfo, type Socket } from 'net';
import { isRelayError, REFERENCE_COMMAND_SYNTAX, type EngineChunk, type EngineRequest } from '@relayllm/relay-core';
import { RemoteSlmEngine, StaticSlmWorkerDirectory } from '../index';
import {
  collectChunks,
  pollUntil,
  ScriptEngineFake,
  specIds,
  specRequest,
  SPEC_PROMPT,
  SPEC_SCRIPT,
  startInProcessWorker,
  textOfChunks,
  type InProcessWorker,
} from '../testing';

/** RemoteSlmEngine against SlmStreamService over real loopback gRPC, with a scripted engine behind the worker. */

describe('RemoteSlmEngine + SlmStreamService (loopback gRPC, scripted engine)', () => {
  const workers: InProcessWorker[] = [];
  const engines: RemoteSlmEngine[] = [];
  const startWorker = async (id: string, engine: ScriptEngineFake, settings = {}): Promise<InProcessWorker> => {
    const worker = await startInProcessWorker(id, engine, settings);
    workers.push(worker);
    return worker;
  };
  const remote = (list: InProcessWorker[], options = {}): RemoteSlmEngine => {
    const engine = new RemoteSlmEngine({ directory: new StaticSlmWorkerDirectory(list.map((w) => w.info)), commandSyntax: () => REFERENCE_COMMAND_SYNTAX, ...options });
    engines.push(engine);
    return engine;
  };
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    for (const w of workers.splice(0)) w.kill();
  });

  it('carries the caller\'s trace context of each generate to the worker\'s engine call', async () => {
    const seen: Array<Readonly<Record<string, string>>> = [];
    const worker = await startWorker('w1', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: 'ab</s>' }), {
      runInTraceContext: <T>(traceContext: Readonly<Record<string, string>>, start: () => T): T => {
        seen.push(traceContext);
        return start();
      },
    });
    let traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const slm = remote([worker], { traceContext: () => ({ traceparent, tracestate: undefined }) });
    expect(textOfChunks(await collectChunks(slm.generate(specRequest(), new AbortController().signal)))).toBe('ab');
    traceparent = '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01';
    await collectChunks(slm.generate(specRequest({ sequenceId: 'g2/slm' }), new AbortController().signal));
    expect(seen).toEqual([
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01' },
    ]);
  });

  it('batches tokens into frames and pauses at </call> until the caller reads on', async () => {
    const fake = new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT });
    const worker = await startWorker('w1', fake, { flushTokens: 4, flushMs: 1_000 });
    const slm = remote([worker]);
    const iterator = slm.generate(specRequest(), new AbortController().signal)[Symbol.asyncIterator]();
    const first: EngineChunk[] = [];
    for (;;) {
      const { value } = await iterator.next();
      first.push(value as EngineChunk);
      if (textOfChunks(first).endsWith('</call>')) break;
    }
    expect(textOfChunks(first)).toBe('abcdefgh<call>3</call>');
    expect(first.map((c) => c.tokens.length)).toEqual([4, 4, 3]); // 8 letters, then <call> 3 </call> (paused)
    expect(first[0]?.tokenTexts).toEqual(['a', 'b', 'c', 'd']);
    expect(first[0]?.probabilities).toEqual([0.5, 0.5, 0.5, 0.5]);
    // Paused: the worker has not pulled one token past </call>.
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.produced).toBe(11);
    const rest: EngineChunk[] = [];
    for (;;) {
      const { value, done } = await iterator.next();
      if (done === true) break;
      rest.push(value as EngineChunk);
    }
    expect(textOfChunks(rest)).toBe('ijklmnopqrstuvwxyz');
    expect(rest[rest.length - 1]?.finish).toBe('eos');
    expect(rest[rest.length - 1]?.tokens.slice(-1)).toEqual([257]); // EOS is reported, with empty text
  });

  it('text command syntax: no id marks a command\'s end, so the worker does not pause at the reference </call> id', async () => {
    const fake = new ScriptEngineFake({ prompt: SPEC_PROMPT, script: 'ab<call>3</call>ef</s>' });
    const worker = await startWorker('w1', fake, { flushTokens: 64, flushMs: 1_000 });
    const slm = remote([worker], { commandSyntax: () => ({ kind: 'text' }) });
    const chunks = await collectChunks(slm.generate(specRequest(), new AbortController().signal));
    expect(textOfChunks(chunks)).toBe('ab<call>3</call>ef');
    expect(chunks).toHaveLength(1); // one frame at the finish: no paused frame at </call>
  });

  it('a stray </call> (no <call> before it) does not pause the worker', async () => {
    const fake = new ScriptEngineFake({ prompt: SPEC_PROMPT, script: 'ab</call>cd<call>3</call>ef</s>' });
    const worker = await startWorker('w1', fake, { flushTokens: 64, flushMs: 1_000 });
    const iterator = remote([worker]).generate(specRequest(), new AbortController().signal)[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as EngineChunk;
    expect(first.text).toBe('ab</call>cd<call>3</call>');
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.produced).toBe(8); // paused after the command's </call> only
    await iterator.return?.(undefined);
  });

  it('flushes a partial frame after flushMs when the engine is slow', async () => {
    // The engine stops after 2 tokens until released: only the timer can send them.
    const fake = new ScriptEngineFake({ prompt: SPEC_PROMPT, script: 'abc</s>', holdAfter: 2 });
    const worker = await startWorker('w1', fake, { flushTokens: 64, flushMs: 1 });
    const iterator = remote([worker]).generate(specRequest(), new AbortController().signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ tokens: [97, 98], text: 'ab' });
    fake.release();
    const rest: EngineChunk[] = [];
    for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) rest.push(r.value);
    expect(textOfChunks(rest)).toBe('c');
    expect(rest[rest.length - 1]?.finish).toBe('eos');
  });

  it('sends only the new part on the next turn; the worker rebuilds the whole context', async () => {
    const fake = new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT });
    const worker = await startWorker('w1', fake);
    const slm = remote([worker]);
    const turn1 = new AbortController();
    const first = await collectChunks(slm.generate(specRequest(), turn1.signal), (c) => c.text.endsWith('</call>'));
    turn1.abort(); // as runRelay does once it has the command
    const afterCall = SPEC_PROMPT + textOfChunks(first) + 'ijk'; // the "LLM" wrote ijk
    const second = specRequest({
      context: { text: afterCall, tokens: specIds(afterCall) },
      appendOnly: true,
      appendFrom: { text: SPEC_PROMPT.length, tokens: specIds(SPEC_PROMPT).length },
    });
    const rest = await collectChunks(slm.generate(second, new AbortController().signal));
    expect(textOfChunks(rest)).toBe('lmnopqrstuvwxyz');
    expect(fake.requests[1]).toMatchObject({ appendOnly: true, context: second.context, appendFrom: second.appendFrom, sequenceId: 'g1/slm' });
    expect(slm.workerOf('g1/slm')).toBe('w1');
    await pollUntil(() => fake.busySequences() === 0, 'the sequence to be free');
  });

  it('cancel and the caller leaving stop the engine: no busy sequence is left', async () => {
    const fake = new ScriptEngineFake({ prompt: SPEC_PROMPT, script: 'x'.repeat(500), delayMs: 2 });
    const worker = await startWorker('w1', fake);
    const slm = remote([worker]);
    const controller = new AbortController();
    const chunks = await collectChunks(slm.generate(specRequest({ maxTokens: 400 }), controller.signal), () => {
      controller.abort();
      return false;
    });
    expect(chunks.length).toBeGreaterThan(0);
    await pollUntil(() => fake.busySequences() === 0, 'the engine to stop');
    const produced = fake.produced;
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.produced).toBe(produced);
    slm.release('g1/slm');
    await pollUntil(() => worker.service.activeStreams === 0, 'the stream to close');
  });

  it.each([
    ["the client's generate time limit", { generateDeadlineMs: 60 }, () => ({})],
    ["the request's deadline (the caller's, well before the 120 s limit)", {}, () => ({ deadlineAtMs: Date.now() + 60 })],
  ])('%s is told to the worker: it stops the engine and fails with deadline_exceeded', async (_, options, deadline) => {
    const fake = new ScriptEngineFake({ prompt: SPEC_PROMPT, script: 'x'.repeat(500), delayMs: 5 });
    const worker = await startWorker('w1', fake);
    const slm = remote([worker], options);
    await expect(collectChunks(slm.generate(specRequest({ maxTokens: 400, ...deadline() }), new AbortController().signal))).rejects.toMatchObject({
      kind: 'deadline_exceeded',
      reason: 'WORKER_DEADLINE',
    });
    await pollUntil(() => fake.busySequences() === 0, 'the engine to stop');
  });

  it('a worker that is killed mid-stream: the generate continues on another worker, no token lost or repeated', async () => {
    const undisturbed = textOfChunks(
      await collectChunks(remote([await startWorker('ref', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT }))]).generate(specRequest(), new AbortController().signal)),
    );
    // 'a' stops after 5 tokens (never released): the kill always lands mid-generate.
    const a = await startWorker('a', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT, holdAfter: 5 }), { flushTokens: 2, flushMs: 1 });
    const bFake = new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT });
    const b = await startWorker('b', bFake);
    const failovers: string[] = [];
    const slm = remote([a, b], { onFailover: (e: { fromWorkerId: string }) => failovers.push(e.fromWorkerId) });
    const chunks: EngineChunk[] = [];
    for await (const chunk of slm.generate(specRequest(), new AbortController().signal)) {
      chunks.push(chunk);
      if (chunks.length === 2) a.kill();
    }
    expect(failovers).toEqual(['a']);
    // 'a' is still listed (its heartbeats have not timed out yet) and sorts first, but a new generation goes to 'b' directly.
    expect(textOfChunks(await collectChunks(slm.generate(specRequest({ sequenceId: 'g2/slm' }), new AbortController().signal)))).toBe(undisturbed);
    expect(failovers).toEqual(['a']);
    expect(slm.workerOf('g2/slm')).toBe('b');
    expect(textOfChunks(chunks)).toBe(undisturbed);
    expect(slm.workerOf('g1/slm')).toBe('b');
    // b started from the prompt plus exactly the tokens already yielded, with maxTokens reduced by as many.
    const replay = bFake.requests[0] as EngineRequest;
    const yieldedBefore = replay.context.text.slice(SPEC_PROMPT.length);
    expect(textOfChunks(chunks).startsWith(yieldedBefore)).toBe(true);
    expect(replay).toMatchObject({ appendOnly: false, maxTokens: 100 - (replay.context.tokens?.length ?? 0) + specIds(SPEC_PROMPT).length });
  });

  it('a full worker answers RESOURCE_EXHAUSTED; the client then uses another one', async () => {
    const full = await startWorker('a', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: 'x'.repeat(300), delayMs: 5 }), { maxStreams: 1 });
    const slmA = remote([full]);
    const holder = slmA.generate(specRequest({ sequenceId: 'other/slm', maxTokens: 200 }), new AbortController().signal)[Symbol.asyncIterator]();
    await holder.next();
    const only = remote([full], { capacityWaitMs: 0 });
    const error = await collectChunks(only.generate(specRequest(), new AbortController().signal)).catch((e: unknown) => e);
    expect(isRelayError(error)).toBe(true);
    // Overload, not outage: every worker refused as full.
    expect(error).toMatchObject({ kind: 'resource_exhausted', reason: 'WORKERS_BUSY' });
    expect((error as Error).cause).toMatchObject({ kind: 'resource_exhausted', reason: 'WORKER_FULL' });
    const spare = await startWorker('b', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT }));
    const both = remote([full, spare]);
    // 'a' sorts first and looks empty to this client: it is tried, refuses, and 'b' serves.
    const chunks = await collectChunks(both.generate(specRequest({ sequenceId: 'g2/slm' }), new AbortController().signal));
    expect(textOfChunks(chunks)).toContain('</call>ijk');
    expect(both.workerOf('g2/slm')).toBe('b');
    await holder.return?.(undefined);
  });

  it('a worker address that accepts TCP but never answers: the generate fails over after the connect timeout', async () => {
    const silent = createServer(() => undefined); // accepts, never speaks HTTP/2
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const sockets = new Set<Socket>();
    silent.on('connection', (socket) => sockets.add(socket));
    try {
      const b = await startWorker('b', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT }));
      const hole = { workerId: 'a-silent', address: `127.0.0.1:${(silent.address() as AddressInfo).port}`, maxSequences: 4, activeSequences: 0 };
      const reasons: string[] = [];
      const slm = new RemoteSlmEngine({
        directory: new StaticSlmWorkerDirectory([hole, b.info]),
        commandSyntax: () => REFERENCE_COMMAND_SYNTAX,
        connectTimeoutMs: 200,
        onFailover: (e) => reasons.push(`${e.fromWorkerId}:${e.error.reason}`),
      });
      engines.push(slm);
      expect(textOfChunks(await collectChunks(slm.generate(specRequest(), new AbortController().signal)))).toContain('</call>ijk');
      expect(reasons).toEqual(['a-silent:SLM_CONNECT_TIMEOUT']);
      expect(slm.workerOf('g1/slm')).toBe('b');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('no live worker is unavailable (NO_SLM_WORKER)', async () => {
    const slm = remote([]);
    await expect(collectChunks(slm.generate(specRequest(), new AbortController().signal))).rejects.toMatchObject({
      kind: 'unavailable',
      reason: 'NO_SLM_WORKER',
    });
  });

  it('worker shutdown ends idle streams; the next turn opens a fresh stream elsewhere with the whole context', async () => {
    const a = await startWorker('a', new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT }));
    const bFake = new ScriptEngineFake({ prompt: SPEC_PROMPT, script: SPEC_SCRIPT });
    const b = await startWorker('b', bFake);
    const slm = remote([a, b]);
    const turn1 = new AbortController();
    const first = await collectChunks(slm.generate(specRequest(), turn1.signal), (c) => c.text.endsWith('</call>'));
    turn1.abort();
    expect(slm.workerOf('g1/slm')).toBe('a');
    await a.shutdown();
    await pollUntil(() => slm.workerOf('g1/slm') === undefined, 'the client to see the stream end');
    const afterCall = SPEC_PROMPT + textOfChunks(first) + 'ijk';
    const second = specRequest({ context: { text: afterCall, tokens: specIds(afterCall) }, appendOnly: true, appendFrom: { text: SPEC_PROMPT.length, tokens: 3 } });
    expect(textOfChunks(await collectChunks(slm.generate(second, new AbortController().signal)))).toBe('lmnopqrstuvwxyz');
    expect(bFake.requests[0]).toMatchObject({ appendOnly: false, context: second.context });
  });
});
