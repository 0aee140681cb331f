import type { EngineChunk, EngineRequest } from '../ports/engine';
import { BYTE_LEVEL_TOKEN_IDS } from '../protocol/vocabulary';
import { ScriptedEngine } from './scripted-engine';

const request = (maxTokens: number): EngineRequest => ({
  sequenceId: 's',
  turn: 0,
  context: { text: 'ctx' },
  appendOnly: false,
  maxTokens,
  sampling: {},
  stopTokens: [],
  stop: [],
  bannedTokens: [],
});

async function chunks(engine: ScriptedEngine, maxTokens = 100, signal = new AbortController().signal): Promise<EngineChunk[]> {
  const out: EngineChunk[] = [];
  for await (const chunk of engine.generate(request(maxTokens), signal)) out.push(chunk);
  return out;
}

describe('ScriptedEngine (test double)', () => {
  it('token mode: one chunk per reference token, control tokens as ids, EOS as finish', async () => {
    const out = await chunks(new ScriptedEngine(['a<call>1</call></s>']));
    expect(out).toEqual([
      { tokens: [97], text: 'a' },
      { tokens: [BYTE_LEVEL_TOKEN_IDS.CALL], text: '<call>' },
      { tokens: [49], text: '1' },
      { tokens: [BYTE_LEVEL_TOKEN_IDS.END_CALL], text: '</call>' },
      { tokens: [BYTE_LEVEL_TOKEN_IDS.EOS], text: '', finish: 'eos' },
    ]);
  });

  it('honours maxTokens with finish length, and records requests in order', async () => {
    const engine = new ScriptedEngine(['abcdef', 'gh'], { mode: 'text', tokensPerChunk: 2 });
    expect(await chunks(engine, 3)).toEqual([
      { tokens: [], text: 'ab', tokenCount: 2 },
      { tokens: [], text: 'c', tokenCount: 1 },
      { tokens: [], text: '', finish: 'length' },
    ]);
    expect(await chunks(engine)).toEqual([{ tokens: [], text: 'gh', tokenCount: 2 }]);
    expect(engine.requests.map((r) => r.maxTokens)).toEqual([3, 100]);
  });

  it('text mode with character cuts splits markers and counts each token where it ends', async () => {
    const out = await chunks(new ScriptedEngine(['a<call>12</call>'], { mode: 'text', charsPerChunk: 4 }));
    expect(out.map((c) => [c.text, c.tokenCount])).toEqual([
      ['a<ca', 1],
      ['ll>1', 2],
      ['2</c', 1],
      ['all>', 1],
    ]);
  });

  it('stops when the signal is aborted; close() is idempotent', async () => {
    const engine = new ScriptedEngine(['abc']);
    const controller = new AbortController();
    controller.abort();
    expect(await chunks(engine, 100, controller.signal)).toEqual([]);
    await engine.close();
    await engine.close();
    expect(engine.closeCount).toBe(2);
  });

  it("another model's tokens: the given tokenizer, and its end-of-turn id ends the stream", async () => {
    const words = (script: string) => script.split(' ').map((w, i) => ({ id: w === '<eot>' ? 99 : 10 + i, text: w === '<eot>' ? '' : w }));
    const out = await chunks(new ScriptedEngine(['a b <eot> c'], { mode: 'token', tokenizer: words, endOfTurnIds: [99] }));
    expect(out).toEqual([
      { tokens: [10], text: 'a' },
      { tokens: [11], text: 'b' },
      { tokens: [99], text: '', finish: 'eos' },
    ]);
  });
});
