import { InMemoryKeyValueStore, OutputCachingEngine } from '@relayllm/relay-cluster';
import { type CompletedEvent, type Engine, type RelayRequest, type RelayStreamEvent } from '@relayllm/relay-core';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { RelayFrontDoor } from './relay-front-door';
import type { CallerContext } from './relay-service-handler';
import { specFrontDoor } from '../testing/spec-front-door';

const TEAM_A: CallerContext = { protocol: 'grpc', apiKeyId: 'team-a' };
const TEAM_B: CallerContext = { protocol: 'grpc', apiKeyId: 'team-b' };
const request = (over: Partial<RelayRequest> = {}): RelayRequest => ({ generationId: 'shared-id', prompt: 'Compute 1+2.', maxTokens: 40, sampling: { temperature: 0 }, ...over });

/** One front door, one store, one pair of engines: two tenants of the same deployment. */
const deployment = (slm: Engine, llm: Engine): RelayFrontDoor => specFrontDoor(slm, llm, { resumable: true });

async function answer(door: RelayFrontDoor, req: RelayRequest, caller: CallerContext, signal = new AbortController().signal): Promise<string> {
  const events: RelayStreamEvent[] = [];
  for await (const event of door.generate(req, signal, caller)) events.push(event);
  return (events.at(-1) as CompletedEvent).text;
}

describe('tenants apart', () => {
  it("tenant B sending A's request_id with the same request gets its own generation, not A's stored output", async () => {
    const slm = new ScriptedEngine(['secret of A</s>', 'answer of B</s>'], { mode: 'text' });
    const door = deployment(slm, new ScriptedEngine([]));
    expect(await answer(door, request(), TEAM_A)).toBe('secret of A');
    expect(await answer(door, request(), TEAM_B)).toBe('answer of B');
    expect(await answer(door, request(), TEAM_A)).toBe('secret of A'); // A's own retry still replays
    expect(slm.requests).toHaveLength(2);
  });

  it("tenant B cannot learn that A's request_id exists: another request on it runs, while A's is running and after it completed", async () => {
    const slm = new ScriptedEngine([{ text: 'abc', hangAfterChunks: 1 }, 'B while A runs</s>', 'A done</s>', 'B after</s>'], { mode: 'text' });
    const door = deployment(slm, new ScriptedEngine([]));
    const cancelA = new AbortController();
    const running = door.generate(request(), cancelA.signal, TEAM_A)[Symbol.asyncIterator]();
    await running.next(); // A's generation is running
    await expect(answer(door, request(), TEAM_A)).rejects.toMatchObject({ reason: 'REQUEST_ID_IN_USE' }); // A's own duplicate
    expect(await answer(door, request({ prompt: 'Other question.' }), TEAM_B)).toBe('B while A runs');
    cancelA.abort();
    while (!(await running.next()).done);
    expect(await answer(door, request({ generationId: 'done-id' }), TEAM_A)).toBe('A done');
    expect(await answer(door, request({ generationId: 'done-id', prompt: 'Other question.' }), TEAM_B)).toBe('B after');
  });

  it("two tenants' generations on one request_id never share an engine sequence", async () => {
    const slm = new ScriptedEngine(['a</s>', 'b</s>'], { mode: 'text' });
    const door = deployment(slm, new ScriptedEngine([]));
    await answer(door, request(), TEAM_A);
    await answer(door, request({ prompt: 'Other question.' }), TEAM_B);
    expect(slm.requests.map((r) => r.sequenceId)).toEqual(['team-a/shared-id/slm', 'team-b/shared-id/slm']);
    expect(slm.released).toEqual(['team-a/shared-id/slm', 'team-b/shared-id/slm']);
  });

  it("a deterministic LLM output cached for tenant A is not served to tenant B; A's other generations share it", async () => {
    const slm = new ScriptedEngine(['<call>2</call>', '</s>', '<call>2</call>', '</s>', '<call>2</call>', '</s>']);
    const llm = new ScriptedEngine(['xy', 'xy']);
    const cached = new OutputCachingEngine(llm, { model: 'llm', store: new InMemoryKeyValueStore() });
    const door = deployment(slm, cached);
    const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    await answer(door, request(), TEAM_A);
    await flush();
    await answer(door, request(), TEAM_B);
    await flush();
    await answer(door, request({ generationId: 'another-id' }), TEAM_A);
    expect(llm.requests).toHaveLength(2);
    expect({ hits: cached.hits, misses: cached.misses }).toEqual({ hits: 1, misses: 2 });
  });
});
