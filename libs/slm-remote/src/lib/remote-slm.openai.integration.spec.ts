import { OpenAiCompletionsEngine } from '@relayllm/engines';
import { FakeVllmServer } from '@relayllm/engines/testing';
import { REFERENCE_PAIR_PROFILE, runRelay, type CompletedEvent, type RelayRequest, type RelayStreamEvent } from '@relayllm/relay-core';
import { ManualClock, ScriptedEngine } from '@relayllm/relay-core/testing';
import { RemoteSlmEngine, StaticSlmWorkerDirectory } from '../index';
import { startInProcessWorker, type InProcessWorker } from '../testing';

/**
 * An SLM worker whose engine is an OpenAI-compatible server (the fake vLLM),
 * under a request with a confidence floor: the worker must be told to ask for
 * logprobs, and the text-only chunks must bring their probabilities back.
 */
describe('a confidence floor through an SLM worker serving from an OpenAI-compatible server', () => {
  let server: FakeVllmServer;
  let engine: OpenAiCompletionsEngine;
  let worker: InProcessWorker;
  let remote: RemoteSlmEngine;

  beforeEach(async () => {
    server = await FakeVllmServer.start('slm');
    engine = new OpenAiCompletionsEngine({ baseUrl: server.url, model: 'slm' });
    await engine.start();
    worker = await startInProcessWorker('w-openai', engine, { flushTokens: 1 });
    remote = new RemoteSlmEngine({ directory: new StaticSlmWorkerDirectory([worker.info]), commandSyntax: () => ({ kind: 'text' }) });
  });
  afterEach(async () => {
    await remote.close();
    worker.kill();
    await engine.close();
    await server.close();
  });

  it("the SLM's unsure token goes to the LLM: logprobs asked through the worker, probabilities back per token", async () => {
    server.script({ tokens: ['37*48', '=', '1777', 'never read'], probabilities: [0.99, 0.98, 0.4, 0.9] }, { tokens: ['\n'], probabilities: [0.97] });
    const llm = new ScriptedEngine(['1776'], { mode: 'text' });
    const request: RelayRequest = { generationId: 'g-worker-floor', prompt: 'Compute 37*48.\n', maxTokens: 64, sampling: { temperature: 0 }, confidenceFloor: { threshold: 0.5, callTokens: 4 } };
    let completed: CompletedEvent | undefined;
    const events: AsyncIterable<RelayStreamEvent> = runRelay({ slm: remote, llm, clock: new ManualClock(), pair: REFERENCE_PAIR_PROFILE }, request, new AbortController().signal);
    for await (const event of events) if (event.type === 'completed') completed = event;
    expect(completed?.text).toBe('37*48=1776\n');
    expect(completed?.usage.callRecords.map((c) => [c.origin, c.requestedN])).toEqual([['floor', 4]]);
    expect(server.requests.map((r) => r.body['logprobs'])).toEqual([1, 1]);
  });
});
