#!/usr/bin/env node
/**
 * `npm run eval:reference`: measures the reference pair through the serving path
 * (`relayllm eval`, embedded llama.cpp engines, greedy) on models/reference/data/test.jsonl,
 * for the model card's stages and every baseline policy, then `relayllm report`.
 *
 *   runs/reference/<run>/         per-item results + summary.json (gitignored; --resume-able)
 *   models/reference/eval/        report.html, SVG charts, summaries.json, report.txt
 *   models/reference/MODEL_CARD.md  the table between the serving-table markers
 *
 * Four items at a time (--concurrency 4): sequences decoded in one llama.cpp batch give
 * exactly what they give alone (per-item results identical to --concurrency 1 on all 1,200
 * questions, llm and relay policies), so the card's numbers reproduce exactly.
 *
 * Flags: --limit N (first N questions; smoke checks), --out DIR (runs dir), --no-card.
 * Stage models: models/reference/stages/{sft,warmup}/ (written by training/, see
 * training/relay_train/stages.py); the shipped slm.gguf is the student after GRPO.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { limit: { type: 'string' }, out: { type: 'string' }, 'no-card': { type: 'boolean' } },
});
// Paths relative to the repository root (the cwd of every child), so that the committed
// summaries and report name files the same on every machine.
const models = 'models/reference';
const dataset = join(models, 'data/test.jsonl');
const runsDir = values.out ?? 'runs/reference';
process.chdir(root);
const cli = join(root, 'apps/relayllm/bin/relayllm.cjs');

/**
 * name, models dir, policy args, card label (rows without one are baselines only). Runs on a
 * stage checkpoint carry `--model-label` so reports keep them apart from the shipped student.
 * The first `slm` run is the report's student baseline: the student after SFT, as in the paper.
 */
const RUNS = [
  ['slm-sft', 'stages/sft', ['--policy', 'slm', '--model-label', 'sft'], 'Student alone (after SFT)'],
  ['warmup-relay', 'stages/warmup', ['--policy', 'relay', '--model-label', 'warm-up'], 'Student after warm-up, relaying'],
  ['grpo-blocked', '.', ['--policy', 'teacher-free'], 'Student after GRPO alone (calls blocked)'],
  ['relay', '.', ['--policy', 'relay'], 'Student after GRPO relaying to the teacher'],
  ['llm', '.', ['--policy', 'llm'], 'Teacher alone'],
  ['random-router', 'stages/sft', ['--policy', 'random-router', '--sweep', '0.25,0.5,0.75', '--seed', '1', '--model-label', 'sft']],
  ['uncertainty', 'stages/sft', ['--policy', 'uncertainty', '--k', '4', '--sweep', '0.3,0.5,0.7', '--model-label', 'sft']],
  ['fixed-k4', '.', ['--policy', 'fixed', '--k', '4']],
];

mkdirSync(runsDir, { recursive: true });
for (const [name, dir, args] of RUNS) {
  const out = join(runsDir, name);
  const cmd = ['eval', '--dataset', dataset, '--models', join(models, dir), '--out', out, '--concurrency', '4', ...args];
  if (values.limit) cmd.push('--limit', values.limit);
  if (existsSync(join(out, 'results.jsonl'))) cmd.push('--resume');
  process.stderr.write(`\n== ${name}: relayllm ${cmd.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...cmd], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    process.stderr.write(`eval ${name} failed (exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
}

/** Every run directory holding a summary.json (sweeps: one per value), baselines first. */
function summaryDirs() {
  const dirs = [];
  for (const [name] of RUNS) {
    const d = join(runsDir, name);
    if (existsSync(join(d, 'summary.json'))) dirs.push(d);
    for (const sub of existsSync(d) ? readdirSync(d).sort() : []) {
      if (existsSync(join(d, sub, 'summary.json'))) dirs.push(join(d, sub));
    }
  }
  return dirs;
}

const evalDir = join(models, 'eval');
mkdirSync(evalDir, { recursive: true });
const dirs = summaryDirs();
// Top-level run directories: `relayllm report` reads a sweep directory as one curve.
const runDirs = RUNS.map(([name]) => join(runsDir, name));
const report = execFileSync(process.execPath, [cli, 'report', ...runDirs, '--out', evalDir], { cwd: root, encoding: 'utf8' });
writeFileSync(join(evalDir, 'report.txt'), report);
process.stdout.write(report);
const summaries = dirs.map((d) => ({ run: d.slice(runsDir.length + 1), ...JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) }));
writeFileSync(join(evalDir, 'summaries.json'), `${JSON.stringify(summaries, null, 1)}\n`);

if (!values['no-card']) {
  const pct = (x) => (100 * x).toFixed(2);
  const lvl = (s, k) => (s.by_level?.[k] ? pct(s.by_level[k].accuracy) : '-');
  const rows = RUNS.filter((r) => r[3]).map(([name, , , label]) => {
    const s = summaries.find((x) => x.run === name);
    const ci = s.accuracy_ci95.map(pct).join('–');
    return `| ${label} | \`${s.label ?? s.policy}\` | ${pct(s.accuracy)} (${ci}) | ${lvl(s, '2')} | ${lvl(s, '3')} | ${lvl(s, '4')} | ${pct(s.llm_token_ratio)}% | ${s.calls_per_answer.toFixed(3)} |`;
  });
  const n = summaries[0]?.n;
  const table = [
    `Measured through the serving path (\`npm run eval:reference\`: \`relayllm eval\`, embedded llama.cpp, greedy, 4 items at a time, ${n} test questions${values.limit ? `, --limit ${values.limit}` : ''}).`,
    '',
    '| model | policy | accuracy % (95% CI) | 2 ops | 3 ops | 4 ops | ρ | calls / answer |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Baselines and the trade-off (`relayllm report`, from `models/reference/eval/report.txt`; chart: `eval/report.html`):',
    '',
    '```',
    report.trimEnd(),
    '```',
  ].join('\n');
  const cardPath = join(models, 'MODEL_CARD.md');
  const card = readFileSync(cardPath, 'utf8');
  const start = '<!-- serving-table:start -->';
  const end = '<!-- serving-table:end -->';
  const block = `${start}\n${table}\n${end}`;
  const next = card.includes(start)
    ? card.replace(new RegExp(`${start}[\\s\\S]*?${end}`), block)
    : `${card.trimEnd()}\n\n## Measured through the serving path\n\n${block}\n`;
  writeFileSync(cardPath, next);
  process.stderr.write(`updated ${cardPath}\n`);
}
