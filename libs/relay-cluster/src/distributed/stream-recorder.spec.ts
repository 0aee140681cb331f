import type { EngineChunk, EngineRequest } from '@relayllm/relay-core';
import { ScriptedEngine } from '@relayllm/relay-core/testing';
import { RelayStreamRecorder } from './stream-recorder';

const req = (appendOnly: boolean): EngineRequest => ({
  sequenceId: 'g/slm',
  turn: 0,
  context: { text: 'Q' },
  appendOnly,
  ...(appendOnly ? { appendFrom: { text: 0 } } : {}),
  maxTokens: 8,
  sampling: {},
  stopTokens: [],
  stop: [],
  bannedTokens: [],
});

async function text(stream: AsyncIterable<EngineChunk>, limit = Infinity): Promise<string> {
  let out = '';
  let n = 0;
  for await (const chunk of stream) {
    out += chunk.text;
    if (++n >= limit) break;
  }
  return out;
}

describe('RelayStreamRecorder', () => {
  it('records each stream as consumed, in order', async () => {
    const slm = new ScriptedEngine(['abc', 'd'], { mode: 'text' });
    const llm = new ScriptedEngine(['XY'], { mode: 'text' });
    const recorder = new RelayStreamRecorder(slm, llm);
    const signal = new AbortController().signal;
    expect(await text(recorder.slm.generate(req(false), signal), 2)).toBe('ab');
    expect(await text(recorder.llm.generate({ ...req(true), sequenceId: 'g/llm', turn: 0 }, signal))).toBe('XY');
    expect(recorder.recorded().map((s) => `${s.role}:${s.chunks.map((c) => c.text).join('')}`)).toEqual(['slm:ab', 'llm:XY']);
  });

  it('replays the saved streams, then the real engines serve from scratch (no appendOnly)', async () => {
    const saved = [
      { role: 'slm' as const, chunks: [{ tokens: [], text: 'ab' }] },
      { role: 'llm' as const, chunks: [{ tokens: [], text: 'XY' }] },
    ];
    const slm = new ScriptedEngine(['c', 'd'], { mode: 'text' });
    const llm = new ScriptedEngine([], { mode: 'text' });
    const recorder = new RelayStreamRecorder(slm, llm, saved);
    const signal = new AbortController().signal;
    expect(await text(recorder.slm.generate(req(false), signal))).toBe('ab');
    expect(await text(recorder.llm.generate({ ...req(false), sequenceId: 'g/llm', turn: 0 }, signal))).toBe('XY');
    expect(await text(recorder.slm.generate(req(true), signal))).toBe('c');
    expect(await text(recorder.slm.generate(req(true), signal))).toBe('d');
    expect(recorder.replayed).toBe(2);
    expect(llm.requests).toHaveLength(0);
    expect(slm.requests.map((r) => r.appendOnly)).toEqual([false, true]);
    expect(slm.requests[0].appendFrom).toBeUndefined();
    expect(recorder.recorded()).toHaveLength(4);
  });

  it('stops replaying at the first stream whose role differs', async () => {
    const saved = [{ role: 'llm' as const, chunks: [{ tokens: [], text: 'XY' }] }];
    const slm = new ScriptedEngine(['real'], { mode: 'text' });
    const recorder = new RelayStreamRecorder(slm, slm, saved);
    expect(await text(recorder.slm.generate(req(false), new AbortController().signal))).toBe('real');
    expect(recorder.replayed).toBe(0);
  });
});

describe('RelayStreamRecorder.takeCompleted', () => {
  it('hands each complete stream over once and keeps only its role, so replay positions still line up', async () => {
    const slm = new ScriptedEngine(['ab', 'c'], { mode: 'text' });
    const llm = new ScriptedEngine(['XY'], { mode: 'text' });
    const recorder = new RelayStreamRecorder(slm, llm);
    const signal = new AbortController().signal;
    await text(recorder.slm.generate(req(false), signal));
    await text(recorder.llm.generate({ ...req(false), sequenceId: 'g/llm', turn: 0 }, signal));
    expect(recorder.takeCompleted().map((s) => `${s.role}:${s.chunks.map((c) => c.text).join('')}`)).toEqual(['slm:ab', 'llm:XY']);
    await text(recorder.slm.generate(req(true), signal));
    expect(recorder.takeCompleted().map((s) => `${s.role}:${s.chunks.map((c) => c.text).join('')}`)).toEqual(['slm:c']);
    expect(recorder.takeCompleted()).toEqual([]);
    expect(recorder.recorded()).toEqual([
      { role: 'slm', chunks: [] },
      { role: 'llm', chunks: [] },
      { role: 'slm', chunks: [] },
    ]);
  });
});
