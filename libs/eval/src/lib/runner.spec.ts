import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDataset } from './dataset';
import { parsePolicy } from './policies';
import { readResults } from './results';
import { runEval, type ItemOutcome, type ItemRunner } from './runner';
import { sampleItems } from './sample';

/** What the fake runner stands for in run.json. */
const ENGINES = { slm: 'sha256:slm-of-the-spec', llm: 'sha256:llm-of-the-spec' };

const dataset = parseDataset(
  Array.from({ length: 10 }, (_, i) => JSON.stringify({ question: `Compute ${i}+1.`, answer: String(i + 1), level: (i % 3) + 1 })).join('\n'),
  'ten.jsonl',
);

/** Answers `i+1` right for even i, wrong for odd; records which items ran. */
function fakeRunner(ran: number[], stopAfter?: { count: number; controller: AbortController }): ItemRunner {
  return async (item, plan, signal): Promise<ItemOutcome> => {
    await new Promise((r) => setTimeout(r, 1 + (item.index % 3)));
    if (signal.aborted) return { text: '', finishReason: 'cancelled', usage: usage(0, 0), calls: [], llmPrefillTokens: 0 };
    ran.push(item.index);
    if (stopAfter !== undefined && ran.length >= stopAfter.count) stopAfter.controller.abort();
    const answer = item.index % 2 === 0 ? item.index + 1 : 0;
    const llm = plan.policy === 'LLM_ONLY' ? 4 : 0;
    return { text: `=${answer}`, finishReason: 'eos', usage: usage(4 - llm, llm), calls: [], llmPrefillTokens: llm };
  };
}

const usage = (slm: number, llm: number) => ({
  slm_tokens: slm,
  llm_tokens: llm,
  response_tokens: slm + llm,
  calls: 0,
  llm_token_ratio: slm + llm === 0 ? 0 : llm / (slm + llm),
  malformed_commands: 0,
  no_call_commands: 0,
});

const lines = async (dir: string): Promise<Array<{ index: number }>> =>
  (await readFile(join(dir, 'results.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l !== '' && !l.endsWith('"quest')) // the cut line the resume spec plants
    .map((l) => JSON.parse(l) as { index: number });

describe('runEval', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'eval-runner-'));
  });

  it('writes one result line per item (extra fields carried) and summary.json', async () => {
    const out = join(root, 'plain');
    const ran: number[] = [];
    const result = await runEval({ dataset, spec: parsePolicy('slm', {}), run: fakeRunner(ran), outDir: out, engines: ENGINES, resume: false, concurrency: 3, maxTokens: 8, temperature: 0 });
    expect(result.interrupted).toBe(false);
    expect([...ran].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const results = await readResults(out);
    expect(results).toHaveLength(10);
    expect(results[0]).toMatchObject({ index: 0, question: 'Compute 0+1.', answer: '1', predicted: '1', correct: true, level: 1, routed: 'SLM_ONLY' });
    expect(results[1]).toMatchObject({ predicted: '0', correct: false, level: 2 });
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ policy: 'slm', label: 'slm', n: 10, accuracy: 0.5, dataset: 'ten.jsonl' });
  });

  it('interrupted after k items, resumed: every item exactly once, no summary until done', async () => {
    const out = join(root, 'resume');
    const first: number[] = [];
    const controller = new AbortController();
    const spec = parsePolicy('relay', {});
    const common = { dataset, spec, outDir: out, engines: ENGINES, maxTokens: 8, temperature: 0, concurrency: 2 };
    const r1 = await runEval({ ...common, run: fakeRunner(first, { count: 4, controller }), resume: false, signal: controller.signal });
    expect(r1.interrupted).toBe(true);
    const afterFirst = await lines(out);
    expect(afterFirst.length).toBeGreaterThanOrEqual(4);
    expect(afterFirst.length).toBeLessThan(10);
    await expect(readFile(join(out, 'summary.json'))).rejects.toThrow();
    // A crash can leave a cut last line: it is ignored and that item runs again.
    await appendFile(join(out, 'results.jsonl'), '{"index": 9, "quest');

    const second: number[] = [];
    const r2 = await runEval({ ...common, run: fakeRunner(second), resume: true });
    expect(r2.interrupted).toBe(false);
    const done = afterFirst.map((l) => l.index);
    expect(second.some((i) => done.includes(i))).toBe(false);
    expect(r2.ran).toBe(10 - done.length);
    const all = (await lines(out)).map((l) => l.index).sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')).n).toBe(10);
  });

  it('--limit runs the sample it is given and records it in summary.json; without --resume the file starts over', async () => {
    const out = join(root, 'limit');
    await runEval({ dataset, spec: parsePolicy('llm', {}), run: fakeRunner([]), outDir: out, engines: ENGINES, resume: false, sample: sampleItems(dataset.items, 3), maxTokens: 8, temperature: 0 });
    const sample = sampleItems(dataset.items, 2);
    const r = await runEval({ dataset, spec: parsePolicy('llm', {}), run: fakeRunner([]), outDir: out, engines: ENGINES, resume: false, sample, maxTokens: 8, temperature: 0 });
    expect((await lines(out)).map((l) => l.index).sort((a, b) => a - b)).toEqual(sample.items.map((i) => i.index));
    expect(r.summary).toMatchObject({ n: 2, llm_token_ratio: 1, llm_prefill_tokens: 8 });
    const written = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(written.sample).toEqual({ limit: 2, of: 10, seed: 0, by_level: sample.byLevel });
    expect(Object.values(written.sample.by_level as Record<string, { taken: number }>).reduce((a, c) => a + c.taken, 0)).toBe(2);
  });

  it('a run of every item has no sample in summary.json', async () => {
    const out = join(root, 'no-limit');
    const r = await runEval({ dataset, spec: parsePolicy('llm', {}), run: fakeRunner([]), outDir: out, engines: ENGINES, resume: false, sample: sampleItems(dataset.items, undefined), maxTokens: 8, temperature: 0 });
    expect(r.summary.n).toBe(10);
    expect(JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'))).not.toHaveProperty('sample');
  });

  it('--model-label names the checkpoint in summary.json and prefixes the label', async () => {
    const out = join(root, 'model-label');
    const r = await runEval({ dataset, spec: parsePolicy('relay', {}), run: fakeRunner([]), outDir: out, engines: ENGINES, resume: false, sample: sampleItems(dataset.items, 2), maxTokens: 8, temperature: 0, modelLabel: 'warm-up' });
    expect(r.summary).toMatchObject({ model: 'warm-up', label: 'warm-up:relay', policy: 'relay' });
    expect(JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'))).toMatchObject({ model: 'warm-up', label: 'warm-up:relay' });
  });

  it('random-router is deterministic: the same seed routes the same items, whatever the concurrency', async () => {
    const routes = async (seed: string, concurrency: number, dir: string): Promise<string[]> => {
      const out = join(root, dir);
      await runEval({ dataset, spec: parsePolicy('random-router', { p: '0.5', seed }), run: fakeRunner([]), outDir: out, engines: ENGINES, resume: false, concurrency, maxTokens: 8, temperature: 0 });
      return (await readResults(out)).map((r) => r.routed);
    };
    const a = await routes('11', 1, 'rr-a');
    const b = await routes('11', 4, 'rr-b');
    expect(b).toEqual(a);
    expect(new Set(a)).toEqual(new Set(['LLM_ONLY', 'SLM_ONLY']));
    const c = await routes('12', 1, 'rr-c');
    expect(c).not.toEqual(a);
  });

  it('an item that fails stops the run (the error propagates); the finished items stay for --resume', async () => {
    const out = join(root, 'fail');
    const run: ItemRunner = async (item, plan, signal) => {
      if (item.index === 2) throw new Error('engine down');
      return fakeRunner([])(item, plan, signal);
    };
    await expect(runEval({ dataset, spec: parsePolicy('slm', {}), run, outDir: out, engines: ENGINES, resume: false, maxTokens: 8, temperature: 0 })).rejects.toThrow('engine down');
    expect((await lines(out)).map((l) => l.index)).toEqual([0, 1]);
  });
});
