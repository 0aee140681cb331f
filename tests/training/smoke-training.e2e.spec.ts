/**
 * Smoke training: every stage of `npm run train:reference` (teacher and student SFT,
 * warm-up, GRPO, evaluation, GGUF export) with tiny step counts, then the exported
 * GGUF files must load in llama.cpp and match PyTorch. A broken stage fails the build.
 * Also runs the Python unit tests of training/. The shipped models are not retrained.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { checkParity } from '@relayllm/llama-cpp';

const root = resolve(__dirname, '../..');

function run(cmd: string, args: string[], cwd: string, timeoutMs: number) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

describe('training pipeline', () => {
  const out = mkdtempSync(join(tmpdir(), 'relayllm-smoke-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('passes its Python unit tests', () => {
    const r = run('/usr/bin/python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], join(root, 'training'), 120_000);
    expect(r.stderr).toMatch(/\nOK\s*$/);
  }, 130_000);

  it('runs every stage in smoke mode and exports GGUF files llama.cpp matches', async () => {
    run('bash', [join(root, 'scripts/train.sh'), '--smoke', '--out', out, '--threads', '1'], root, 180_000);
    const exp = join(out, 'export');
    for (const f of ['llm.gguf', 'slm.gguf', 'parity.json', 'MODEL_CARD.md', 'metrics.json', 'curves/grpo_reward.svg', 'curves/sft_dev_accuracy.svg',
      'stages/sft/slm.gguf', 'stages/sft/llm.gguf', 'stages/warmup/slm.gguf', 'stages/warmup/llm.gguf']) {
      expect(existsSync(join(exp, f))).toBe(true);
    }
    const log = readFileSync(join(out, 'train.log'), 'utf8');
    // configs/student.json's smoke overrides run one self-placed warm-up round after the first, with a served pool
    for (const stage of ['teacher-sft', 'student-sft', 'warmup-data', 'warmup-sft', 'warmup-round2-data', 'warmup-round2-served', 'warmup-round2-sft', 'grpo-filter', 'grpo', 'export']) {
      expect(log).toContain(`${stage} done`);
    }
    const card = readFileSync(join(exp, 'MODEL_CARD.md'), 'utf8');
    expect(card).toContain('Student after GRPO relaying to the teacher');
    expect(card).toContain('then GRPO on the call decision alone (only the `<call>` output row trained)');
    expect(card).toMatch(/served pools relayed under call_bias 0, 1, 2 kept \d+ commands/);
    expect(card).toContain('| student SFT | same data, 50% of the answers with 1-3 context-only commands before random digits');
    // sft.dev_every (2 for the smoke student, 3 for the smoke teacher): dev accuracy alone at those steps and the last
    expect(card).toMatch(/\| teacher SFT \|[^\n]*greedy accuracy alone on dev by step: 3: [\d.]+%, 6: [\d.]+% \|/);
    expect(card).toMatch(/\| student SFT \|[^\n]*greedy accuracy alone on dev by step: 2: [\d.]+%, 4: [\d.]+% \|/);
    expect(card).toContain('`curves/sft_dev_accuracy.svg`');
    // the thread count is part of the recipe (another count trains another model), so the metrics say it
    const metrics = JSON.parse(readFileSync(join(exp, 'metrics.json'), 'utf8')) as { threads: number };
    expect(metrics.threads).toBe(1);
    const report = await checkParity(exp, { minCases: 20 });
    expect(report.failures).toEqual([]);
    expect(report.maxProbDiff).toBeLessThan(1e-4);
  }, 240_000);

  it('--resume reuses the SFT and every warm-up round\'s checkpoint of a previous run and redoes GRPO onwards', () => {
    // Needs the run of the previous test in `out`.
    expect(existsSync(join(out, 'student-warmup.pt'))).toBe(true);
    run('bash', [join(root, 'scripts/train.sh'), '--smoke', '--resume', '--out', out, '--threads', '1'], root, 180_000);
    const log = readFileSync(join(out, 'train.log'), 'utf8');
    const second = log.slice(log.lastIndexOf('start: smoke=True'));
    for (const ckpt of ['teacher-sft.pt', 'student-sft.pt', 'student-warmup.pt', 'student-warmup-round2.pt']) expect(second).toContain(`resumed ${join(out, ckpt)}`);
    expect(second).not.toContain('warmup-data done');
    expect(second).not.toContain('warmup-round2-data done');
    for (const stage of ['grpo-filter', 'grpo', 'export']) expect(second).toContain(`${stage} done`);
    const metrics = JSON.parse(readFileSync(join(out, 'export', 'metrics.json'), 'utf8')) as { timings_s: Record<string, number> };
    expect(Object.keys(metrics.timings_s)).toEqual(expect.arrayContaining(['warmup-data-resumed', 'warmup-sft-resumed', 'warmup-round2-data-resumed', 'warmup-round2-served-resumed', 'warmup-round2-sft-resumed']));
  }, 200_000);
});
