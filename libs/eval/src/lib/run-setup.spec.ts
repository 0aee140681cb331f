import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDataset } from './dataset';
import { parsePolicy } from './policies';
import { readResults } from './results';
import { datasetDigest, ResumeMismatchError, setupDifferences } from './run-setup';
import { runEval, type ItemRunner } from './runner';
import { sampleItems } from './sample';

const question = (i: number): string => JSON.stringify({ question: `Compute ${i}+1.`, answer: String(i + 1) });
const dataset = parseDataset(Array.from({ length: 6 }, (_, i) => question(i)).join('\n'), 'six.jsonl');
const OLD_PAIR = { slm: 'sha256:old-student', llm: 'sha256:teacher' };
const NEW_PAIR = { slm: 'sha256:new-student', llm: 'sha256:teacher' };

/** A stand-in engine pair that answers every question with `answer` (so a mixed results file shows). */
function answeringRunner(answer: string, ran: number[] = []): ItemRunner {
  return async (item) => {
    ran.push(item.index);
    const usage = { slm_tokens: 2, llm_tokens: 0, response_tokens: 2, calls: 0, llm_token_ratio: 0, malformed_commands: 0, no_call_commands: 0 };
    return { text: `=${answer}`, finishReason: 'eos', usage, calls: [], llmPrefillTokens: 0 };
  };
}

const run = (outDir: string, engines: Record<string, string>, runner: ItemRunner, resume: boolean, extra: object = {}) =>
  runEval({ dataset, spec: parsePolicy('relay', {}), run: runner, outDir, engines, resume, maxTokens: 8, temperature: 0, ...extra });

describe('run.json: --resume only continues the same setup', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'eval-setup-'));
  });

  it('refuses to resume a run made by another model, naming the field, and leaves its files as they were', async () => {
    const out = join(root, 'swapped');
    await run(out, OLD_PAIR, answeringRunner('old'), false, { sample: sampleItems(dataset.items, 3) });
    const before = await readFile(join(out, 'results.jsonl'), 'utf8');
    const setupBefore = await readFile(join(out, 'run.json'), 'utf8');
    const ran: number[] = [];
    const refusal = await run(out, NEW_PAIR, answeringRunner('new', ran), true).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ResumeMismatchError);
    expect((refusal as ResumeMismatchError).differences).toEqual(['engines.slm: was "sha256:old-student", now "sha256:new-student"']);
    expect(ran).toEqual([]);
    expect(await readFile(join(out, 'results.jsonl'), 'utf8')).toBe(before);
    expect(await readFile(join(out, 'run.json'), 'utf8')).toBe(setupBefore);
  });

  it('resumes the same setup (a --limit sample resumed whole), and a fresh start may change the setup', async () => {
    const out = join(root, 'same');
    await run(out, OLD_PAIR, answeringRunner('x'), false, { sample: sampleItems(dataset.items, 2) });
    const ran: number[] = [];
    const whole = await run(out, OLD_PAIR, answeringRunner('x', ran), true);
    expect(whole.summary.n).toBe(6);
    expect(ran).toHaveLength(4);
    await run(out, NEW_PAIR, answeringRunner('new'), false);
    expect((await readResults(out)).map((r) => r.text)).toEqual(Array(6).fill('=new'));
    expect(JSON.parse(await readFile(join(out, 'run.json'), 'utf8'))).toMatchObject({ 'engines.slm': 'sha256:new-student', policy: 'relay' });
  });

  it('refuses results without a run.json (made before it existed, or by hand)', async () => {
    const out = join(root, 'unknown');
    await run(out, OLD_PAIR, answeringRunner('old'), false, { sample: sampleItems(dataset.items, 2) });
    await writeFile(join(out, 'run.json'), '{}'); // an empty setup differs in every field
    await expect(run(out, OLD_PAIR, answeringRunner('old'), true)).rejects.toThrow(/policy: was null, now "relay"/);
    const bare = join(root, 'bare');
    await run(bare, OLD_PAIR, answeringRunner('old'), false, { sample: sampleItems(dataset.items, 2) });
    await rm(join(bare, 'run.json'));
    await expect(run(bare, OLD_PAIR, answeringRunner('old'), true)).rejects.toThrow(/run\.json is missing/);
  });

  it('another policy, max tokens or dataset is another setup', async () => {
    const out = join(root, 'policy');
    await run(out, OLD_PAIR, answeringRunner('x'), false, { sample: sampleItems(dataset.items, 2) });
    const biased = runEval({ dataset, spec: parsePolicy('relay', { callBias: '1' }), run: answeringRunner('x'), outDir: out, engines: OLD_PAIR, resume: true, maxTokens: 8, temperature: 0 });
    await expect(biased).rejects.toThrow(/params: was "\{\}", now "\{\\"call_bias\\":1\}"/);
    await expect(run(out, OLD_PAIR, answeringRunner('x'), true, { maxTokens: 9 })).rejects.toThrow(/max_tokens: was 8, now 9/);
    const edited = parseDataset([question(0), question(1), JSON.stringify({ question: 'Compute 2+1.', answer: '4' })].join('\n'), 'six.jsonl');
    expect(datasetDigest(edited.items)).not.toBe(datasetDigest(dataset.items.slice(0, 3)));
  });

  it('setupDifferences lists each differing key once, keys on one side included', () => {
    expect(setupDifferences({ a: 1, b: 'x' }, { a: 1, b: 'y', c: true })).toEqual(['b: was "x", now "y"', 'c: was null, now true']);
    expect(setupDifferences({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
