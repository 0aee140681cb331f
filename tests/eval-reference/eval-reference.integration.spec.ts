import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * Integration tier: scripts/eval-reference.mjs, run as `npm run eval:reference` runs it,
 * in a scratch copy of the repository layout whose `relayllm` CLI is a fake
 * (fake-relayllm-cli.cjs: summaries without models). What is checked is the
 * script's own decision: a partial run never rewrites the published table.
 */
const run = promisify(execFile);
// Each test runs the whole script (up to 60 s a run, below), one test two runs: jest's 5 s default
// ran out on a loaded machine.
jest.setTimeout(130_000);
const ROOT = resolve(__dirname, '../..');
const QUESTIONS = 12;
const CARD = ['# Model card', '', '<!-- serving-table:start -->', 'PUBLISHED TABLE (1200 questions)', '<!-- serving-table:end -->', ''].join('\n');

interface Tree {
  root: string;
  log: string;
}

function scratchTree(): Tree {
  const root = mkdtempSync(join(tmpdir(), 'eval-reference-'));
  mkdirSync(join(root, 'scripts'));
  copyFileSync(join(ROOT, 'scripts/eval-reference.mjs'), join(root, 'scripts/eval-reference.mjs'));
  mkdirSync(join(root, 'apps/relayllm/bin'), { recursive: true });
  copyFileSync(join(__dirname, 'fake-relayllm-cli.cjs'), join(root, 'apps/relayllm/bin/relayllm.cjs'));
  mkdirSync(join(root, 'models/reference/data'), { recursive: true });
  mkdirSync(join(root, 'models/reference/eval'));
  const lines = Array.from({ length: QUESTIONS }, (_, i) => JSON.stringify({ question: `q${i}`, answer: String(i), level: 2 + Math.floor(i / 4) }));
  writeFileSync(join(root, 'models/reference/data/test.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(join(root, 'models/reference/MODEL_CARD.md'), CARD);
  writeFileSync(join(root, 'models/reference/eval/report.txt'), 'published report\n');
  return { root, log: join(root, 'cli.log') };
}

/** Every file under the published places, with its content. */
function published(root: string): Record<string, string> {
  const evalDir = join(root, 'models/reference/eval');
  return {
    'MODEL_CARD.md': readFileSync(join(root, 'models/reference/MODEL_CARD.md'), 'utf8'),
    ...Object.fromEntries(readdirSync(evalDir).map((f) => [`eval/${f}`, readFileSync(join(evalDir, f), 'utf8')])),
  };
}

async function evalReference(tree: Tree, args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [join(tree.root, 'scripts/eval-reference.mjs'), ...args], {
    cwd: tree.root,
    env: { ...process.env, FAKE_CLI_LOG: tree.log, ...env },
    timeout: 60_000,
  });
}

const calls = (tree: Tree): string[][] =>
  readFileSync(tree.log, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as string[]);

describe('npm run eval:reference', () => {
  const trees: Tree[] = [];
  const tree = (): Tree => {
    const t = scratchTree();
    trees.push(t);
    return t;
  };
  afterAll(() => {
    for (const t of trees) rmSync(t.root, { recursive: true, force: true });
  });

  it('--limit 5 writes its runs and report elsewhere, says so, and leaves MODEL_CARD.md and eval/ untouched', async () => {
    const t = tree();
    const before = published(t.root);
    const { stderr } = await evalReference(t, ['--limit', '5']);
    expect(published(t.root)).toEqual(before);
    const evals = calls(t).filter(([command]) => command === 'eval');
    expect(evals.length).toBeGreaterThan(5);
    for (const call of evals) {
      expect(call.slice(call.indexOf('--limit'), call.indexOf('--limit') + 2)).toEqual(['--limit', '5']);
      expect(call[call.indexOf('--out') + 1]).toMatch(/^runs\/reference-limit-5\//);
    }
    expect(existsSync(join(t.root, 'runs/reference-limit-5/report/report.txt'))).toBe(true);
    expect(existsSync(join(t.root, 'runs/reference'))).toBe(false);
    expect(stderr).toContain('PARTIAL RUN (--limit 5');
    expect(stderr).toContain('Report: runs/reference-limit-5/report/');
    expect(stderr).toContain('models/reference/MODEL_CARD.md and models/reference/eval/ are left as they are');
    expect(stderr).not.toContain('updated models/reference/MODEL_CARD.md');
  });

  it('a run whose summaries fall short of the test set is not published either, and says why', async () => {
    const t = tree();
    const before = published(t.root);
    const { stderr } = await evalReference(t, [], { FAKE_CLI_N: '10' });
    expect(published(t.root)).toEqual(before);
    expect(stderr).toContain(`runs short of the ${QUESTIONS} test questions: slm-sft: n=10`);
    expect(existsSync(join(t.root, 'runs/reference/report/report.txt'))).toBe(true);
  });

  it('a run of every question publishes the report and the card table', async () => {
    const t = tree();
    const { stderr } = await evalReference(t, []);
    const after = published(t.root);
    expect(after['MODEL_CARD.md']).toContain(`4 items at a time, ${QUESTIONS} test questions).`);
    expect(after['MODEL_CARD.md']).not.toContain('PUBLISHED TABLE');
    expect(after['eval/report.txt']).toMatch(/^fake report of \d+ runs/);
    expect(Object.keys(after)).toEqual(expect.arrayContaining(['eval/report.html', 'eval/summaries.json']));
    expect(stderr).toContain('updated models/reference/MODEL_CARD.md');
    expect(stderr).not.toContain('PARTIAL RUN');
  });

  it('sweeps the relay over call_bias: one curve whose 0 point is the card relay row, each other point a row after it', async () => {
    const t = tree();
    await evalReference(t, []);
    const relayEval = calls(t).find((call) => call[0] === 'eval' && call.includes('relay') && call.some((a) => a.startsWith('--sweep=')));
    expect(relayEval?.find((a) => a.startsWith('--sweep='))).toMatch(/^--sweep=-\d.*,0,.*\d$/);
    const report = calls(t).find((call) => call[0] === 'report') ?? [];
    expect(report).toContain('runs/reference/relay-call-bias');
    const summaries = JSON.parse(published(t.root)['eval/summaries.json'] ?? '[]') as Array<{ run: string }>;
    expect(summaries.map((s) => s.run)).toEqual(expect.arrayContaining(['relay-call-bias/call_bias=0', 'relay-call-bias/call_bias=-2', 'relay-call-bias/call_bias=1']));
    const card = published(t.root)['MODEL_CARD.md'] ?? '';
    const rows = card.split('\n').filter((l) => l.startsWith('| Student after GRPO relaying to the teacher'));
    expect(rows[0]).toMatch(/^\| Student after GRPO relaying to the teacher \|/);
    expect(rows.slice(1).map((l) => l.split(' | ')[0])).toEqual(expect.arrayContaining(['| Student after GRPO relaying to the teacher, call_bias -2', '| Student after GRPO relaying to the teacher, call_bias +1']));
  });

  it('sweeps the relay at max_turns 64 over the same call_bias values: its 0 point is the card max_turns 64 row', async () => {
    const t = tree();
    await evalReference(t, []);
    const sweeps = calls(t).filter((call) => call[0] === 'eval' && call.includes('relay') && call.some((a) => a.startsWith('--sweep=')));
    const turns = sweeps.find((call) => call[call.indexOf('--max-turns') + 1] === '64');
    expect(turns?.[turns.indexOf('--out') + 1]).toBe('runs/reference/relay-max-turns-64');
    expect(turns?.find((a) => a.startsWith('--sweep='))).toBe(sweeps[0]?.find((a) => a.startsWith('--sweep=')));
    expect(calls(t).find((call) => call[0] === 'report')).toContain('runs/reference/relay-max-turns-64');
    const card = published(t.root)['MODEL_CARD.md'] ?? '';
    const rows = card.split('\n').filter((l) => l.startsWith('| Student after GRPO relaying, max_turns 64'));
    expect(rows.map((l) => l.split(' | ')[0])).toEqual(
      expect.arrayContaining(['| Student after GRPO relaying, max_turns 64', '| Student after GRPO relaying, max_turns 64, call_bias +1']),
    );
    expect(rows[0]?.split(' | ')[0]).toBe('| Student after GRPO relaying, max_turns 64');
  });

  it('sweeps the relay with a confidence floor over T on the shipped student: one curve, a card row per point', async () => {
    const t = tree();
    await evalReference(t, []);
    const floorEval = calls(t).find((call) => call[0] === 'eval' && call.includes('relay-floor'));
    expect(floorEval?.[floorEval.indexOf('--models') + 1]).toBe('models/reference');
    expect(floorEval?.find((a) => a.startsWith('--sweep='))).toMatch(/^--sweep=0\.\d+(,0\.\d+)+$/);
    expect(calls(t).find((call) => call[0] === 'report')).toContain('runs/reference/relay-floor');
    const card = published(t.root)['MODEL_CARD.md'] ?? '';
    const rows = card.split('\n').filter((l) => l.startsWith('| Student after GRPO relaying, confidence floor'));
    expect(rows.map((l) => l.split(' | ')[0])).toEqual(expect.arrayContaining(['| Student after GRPO relaying, confidence floor T 0.5', '| Student after GRPO relaying, confidence floor T 0.9']));
    expect(rows.every((l) => l.includes('`relay-floor`'))).toBe(true);
  });

  it('a second run goes on from the results of the first, sweeps included (--resume on every eval)', async () => {
    const t = tree();
    await evalReference(t, []);
    const first = calls(t).filter(([command]) => command === 'eval').length;
    await evalReference(t, []);
    const second = calls(t).filter(([command]) => command === 'eval').slice(first);
    expect(second.length).toBe(first);
    for (const call of second) expect(call).toContain('--resume');
  });

  it('--models measures a candidate pair the same way, under runs/candidate-<its path>/, and publishes nothing', async () => {
    const t = tree();
    const pair = join(t.root, 'training/out/pair1/publish');
    mkdirSync(join(pair, 'data'), { recursive: true });
    copyFileSync(join(t.root, 'models/reference/data/test.jsonl'), join(pair, 'data/test.jsonl'));
    writeFileSync(join(pair, 'MODEL_CARD.md'), CARD);
    const before = published(t.root);
    const { stderr } = await evalReference(t, ['--models', 'training/out/pair1/publish']);
    expect(published(t.root)).toEqual(before);
    expect(readFileSync(join(pair, 'MODEL_CARD.md'), 'utf8')).toBe(CARD);
    const evals = calls(t).filter(([command]) => command === 'eval');
    expect(evals.length).toBeGreaterThan(5);
    for (const call of evals) {
      expect(call[call.indexOf('--dataset') + 1]).toBe('training/out/pair1/publish/data/test.jsonl');
      expect(call[call.indexOf('--models') + 1]).toMatch(/^training\/out\/pair1\/publish(\/stages\/(sft|warmup))?$/);
      expect(call[call.indexOf('--out') + 1]).toMatch(/^runs\/candidate-training-out-pair1-publish\//);
    }
    expect(existsSync(join(t.root, 'runs/candidate-training-out-pair1-publish/report/report.txt'))).toBe(true);
    expect(stderr).toContain('PARTIAL RUN (--models training/out/pair1/publish: a candidate pair, not models/reference)');
    expect(stderr).not.toMatch(/^updated /m);
  });

  it('refuses a --limit that is not a positive integer', async () => {
    await expect(evalReference(tree(), ['--limit', '0'])).rejects.toMatchObject({ code: 2 });
  });
});
