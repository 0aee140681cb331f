#!/usr/bin/env node
/**
 * `npm run eval:reference`: measures the reference pair through the serving path
 * (`relayllm eval`, embedded llama.cpp engines, greedy) on models/reference/data/test.jsonl,
 * for the model card's stages and every baseline policy, then `relayllm report`.
 *
 *   runs/reference/<run>/         per-item results + summary.json + run.json (gitignored; --resume-able,
 *                                 by the same models and dataset only: another pair stops with exit 2)
 *   models/reference/eval/        report.html, SVG charts, summaries.json, report.txt
 *   models/reference/MODEL_CARD.md  the table between the serving-table markers
 *
 * Only a run of every test question is published (the last two). A partial run
 * (--limit N, or any summary that is a sample or short of the dataset) writes its
 * runs to runs/reference-limit-N/ (or --out) and its report to <runs>/report/,
 * says so, and never touches models/reference/eval/ nor MODEL_CARD.md.
 *
 * Four items at a time (--concurrency 4): sequences decoded in one llama.cpp batch give
 * exactly what they give alone (per-item results identical to --concurrency 1 on all 1,200
 * questions, llm and relay policies), so the card's numbers reproduce exactly. The uncertainty
 * policies compare a probability with a threshold, and one that sits on it can flip with the
 * batch: two runs of every run here on the same pair (2026-12-07) differed in 1 item of 18,000
 * such items (a call made or not, the same answer; the summary's rounded numbers unchanged).
 *
 * Flags: --limit N (a seeded sample of N questions, stratified by level: smoke checks; never
 * published), --out DIR (runs dir), --no-card, --models DIR (a candidate pair laid out as
 * models/reference is, e.g. a pipeline's --publish dir: measured the same way, runs under
 * runs/candidate-<its path, slashes as dashes>/, never published).
 * Stage models: models/reference/stages/{sft,warmup}/ (written by training/, see
 * training/relay_train/stages.py); the shipped slm.gguf is the student after GRPO.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { limit: { type: 'string' }, out: { type: 'string' }, 'no-card': { type: 'boolean' }, models: { type: 'string' } },
});
// Paths relative to the repository root (the cwd of every child), so that the committed
// summaries and report name files the same on every machine.
const shipped = 'models/reference';
const models = values.models === undefined ? shipped : relative(root, resolve(values.models));
const candidate = models !== shipped;
const dataset = join(models, 'data/test.jsonl');
const cardPath = join(models, 'MODEL_CARD.md');
const publishedEvalDir = join(models, 'eval');
const limit = values.limit;
if (limit !== undefined && !/^[1-9]\d*$/.test(limit)) {
  process.stderr.write(`--limit must be a positive integer, got ${limit}\n`);
  process.exit(2);
}
// A partial run keeps its own runs (never resumed into, nor from, a full run's) and its own report.
const runsDir = values.out ?? (candidate ? `runs/candidate-${models.replace(/[/\\.]+/g, '-')}` : limit === undefined ? 'runs/reference' : `runs/reference-limit-${limit}`);
const partialEvalDir = join(runsDir, 'report');
process.chdir(root);
const cli = join(root, 'apps/relayllm/bin/relayllm.cjs');

const banner = (lines) => process.stderr.write(`\n${'!'.repeat(78)}\n${lines.map((l) => `! ${l}`).join('\n')}\n${'!'.repeat(78)}\n`);
const notPublished = (why) => [
  `PARTIAL RUN (${why}): the published table is NOT updated.`,
  `Report: ${partialEvalDir}/ (runs: ${runsDir}/).`,
  `${cardPath} and ${publishedEvalDir}/ are left as they are.`,
];
if (limit !== undefined) banner(notPublished(`--limit ${limit}: a sample of the test questions`));
if (candidate) banner(notPublished(`--models ${models}: a candidate pair, not ${shipped}`));

/**
 * The relay's serving-time knob, swept on the shipped student: `call_bias` (a logit offset on
 * its `<call>` token) makes the relay row a curve beside the uncertainty-trigger and
 * random-router curves. 0 is the model as trained (the card's relay row). The values span the
 * knob's useful range: from -4 (about a quarter of the answers call) to +1.5, past the accuracy
 * peak of every student shipped since 2026-12-06 (third session); for the lookup pair shipped on
 * 2026-12-07 the peak is at 0 and the points past it lower the relay's APGR (the card says so).
 */
const CALL_BIASES = ['-4', '-2', '-1', '0', '0.5', '1', '1.5'];
const RELAY_CURVE = 'relay-call-bias';
/**
 * The same sweep with limits.max_turns 64 (the server's ceiling; the trigger policies' turns): the
 * paper's 5 turns cut the student's calls short in some answers, the more so as call_bias rises.
 */
const TURNS_CURVE = 'relay-max-turns-64';
const CALL_BIAS_CURVES = new Set([RELAY_CURVE, TURNS_CURVE]);

/**
 * The relay with the request's confidence floor (`relayllm eval --policy relay-floor`): the shipped
 * student's own commands, and a 4-token call wherever it is less sure than T of a token it writes. It
 * takes the relay curve on where call_bias stops helping (past ρ 2%). T = 0 is the relay itself, but
 * for its turn ceiling (64, as for the uncertainty trigger, against the relay's 5).
 */
const FLOOR_THRESHOLDS = ['0.3', '0.5', '0.7', '0.8', '0.9', '0.95'];
const FLOOR_CURVE = 'relay-floor';

/**
 * name, models dir, policy args, card label (rows without one are baselines only). Runs on a
 * stage checkpoint carry `--model-label` so reports keep them apart from the shipped student.
 * The first `slm` run is the report's student baseline: the student after SFT, as in the paper.
 * A swept run's card rows are its points (cardRows below).
 */
const RUNS = [
  ['slm-sft', 'stages/sft', ['--policy', 'slm', '--model-label', 'sft'], 'Student alone (after SFT)'],
  ['warmup-relay', 'stages/warmup', ['--policy', 'relay', '--model-label', 'warm-up'], 'Student after warm-up, relaying'],
  ['grpo-blocked', '.', ['--policy', 'teacher-free'], 'Student after GRPO alone (calls blocked)'],
  [RELAY_CURVE, '.', ['--policy', 'relay', `--sweep=${CALL_BIASES.join(',')}`], 'Student after GRPO relaying to the teacher'],
  [TURNS_CURVE, '.', ['--policy', 'relay', '--max-turns', '64', `--sweep=${CALL_BIASES.join(',')}`], 'Student after GRPO relaying, max_turns 64'],
  [FLOOR_CURVE, '.', ['--policy', 'relay-floor', '--k', '4', `--sweep=${FLOOR_THRESHOLDS.join(',')}`], 'Student after GRPO relaying, confidence floor'],
  ['llm', '.', ['--policy', 'llm'], 'Teacher alone'],
  ['random-router', 'stages/sft', ['--policy', 'random-router', '--sweep', '0.25,0.5,0.75', '--seed', '1', '--model-label', 'sft']],
  // Thresholds up to 0.99: a student sure of the values it never saw needs them to reach ρ 5%.
  ['uncertainty', 'stages/sft', ['--policy', 'uncertainty', '--k', '4', '--sweep', '0.3,0.5,0.7,0.8,0.9,0.95,0.97,0.99', '--model-label', 'sft']],
  ['fixed-k4', '.', ['--policy', 'fixed', '--k', '4']],
  // The strongest heuristic found: the same trigger on the shipped student's own confidence (its
  // commands banned and hidden). It beats the learned commands above the relay curve's last point
  // (the card says where and why). 0.99 reaches the ρ the lookup students need it at.
  ['own-confidence', '.', ['--policy', 'uncertainty', '--k', '4', '--sweep', '0.5,0.7,0.8,0.9,0.95,0.98,0.99', '--model-label', 'relay-trained']],
];

mkdirSync(runsDir, { recursive: true });
for (const [name, dir, args] of RUNS) {
  const out = join(runsDir, name);
  const cmd = ['eval', '--dataset', dataset, '--models', join(models, dir), '--out', out, '--concurrency', '4', ...args];
  if (values.limit) cmd.push('--limit', values.limit);
  // A run (or any point of a sweep) with results goes on from them: finished runs are only re-summarised.
  const started = existsSync(join(out, 'results.jsonl')) || (existsSync(out) && readdirSync(out).some((sub) => existsSync(join(out, sub, 'results.jsonl'))));
  if (started) cmd.push('--resume');
  process.stderr.write(`\n== ${name}: relayllm ${cmd.join(' ')}\n`);
  const r = spawnSync(process.execPath, [cli, ...cmd], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    // Exit 2 on a resumed run is most often a run made by other models (run.json): say how to start over.
    const hint = started && r.status === 2 ? `; if the models or the dataset changed since ${out} was run, remove it (or all of ${relative(root, runsDir)}/) and run again` : '';
    process.stderr.write(`eval ${name} failed (exit ${r.status})${hint}\n`);
    process.exit(r.status ?? 1);
  }
}

/**
 * The card rows of a run: [label, run] pairs. A call_bias curve gives its 0 point under the run's
 * label (the relay as trained), then each other point; the floor curve each point.
 */
function cardRows(name, label) {
  if (name === FLOOR_CURVE) return FLOOR_THRESHOLDS.map((t) => [`${label} T ${t}`, `${FLOOR_CURVE}/threshold=${t}`]);
  if (!CALL_BIAS_CURVES.has(name)) return [[label, name]];
  const point = (bias) => `${name}/call_bias=${bias}`;
  return [[label, point('0')], ...CALL_BIASES.filter((b) => b !== '0').map((b) => [`${label}, call_bias ${Number(b) > 0 ? '+' : ''}${b}`, point(b)])];
}

/** Every run directory holding a summary.json (sweeps: one per value), baselines first. */
function summaryDirs() {
  const dirs = [];
  for (const [name] of RUNS) {
    const d = join(runsDir, name);
    if (existsSync(join(d, 'summary.json'))) dirs.push(d);
    // Sweep points by value (`call_bias=-4` before `call_bias=-1`), as `relayllm report` orders them.
    const byValue = (a, b) => Number(a.split('=')[1]) - Number(b.split('=')[1]) || (a < b ? -1 : a > b ? 1 : 0);
    for (const sub of existsSync(d) ? readdirSync(d).sort(byValue) : []) {
      if (existsSync(join(d, sub, 'summary.json'))) dirs.push(join(d, sub));
    }
  }
  return dirs;
}

const summaries = summaryDirs().map((d) => ({ run: d.slice(runsDir.length + 1), ...JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) }));
// Published only when every run answered every question: the data decide, not just the flag.
const questions = readFileSync(dataset, 'utf8').split('\n').filter((line) => line.trim() !== '').length;
const short = summaries.filter((s) => s.sample !== undefined || s.n !== questions).map((s) => `${s.run}: n=${s.n}`);
const publish = !candidate && limit === undefined && short.length === 0;
const evalDir = publish ? publishedEvalDir : partialEvalDir;
mkdirSync(evalDir, { recursive: true });
// Top-level run directories: `relayllm report` reads a sweep directory as one curve.
const runDirs = RUNS.map(([name]) => join(runsDir, name));
const report = execFileSync(process.execPath, [cli, 'report', ...runDirs, '--out', evalDir], { cwd: root, encoding: 'utf8' });
writeFileSync(join(evalDir, 'report.txt'), report);
process.stdout.write(report);
writeFileSync(join(evalDir, 'summaries.json'), `${JSON.stringify(summaries, null, 1)}\n`);

if (!publish) {
  const why = candidate ? `--models ${models}` : limit !== undefined ? `--limit ${limit}` : `runs short of the ${questions} test questions: ${short.join(', ')}`;
  banner(notPublished(why));
} else if (!values['no-card']) {
  const pct = (x) => (100 * x).toFixed(2);
  const lvl = (s, k) => (s.by_level?.[k] ? pct(s.by_level[k].accuracy) : '-');
  const row = (label, s) => {
    const ci = s.accuracy_ci95.map(pct).join('–');
    return `| ${label} | \`${s.label ?? s.policy}\` | ${pct(s.accuracy)} (${ci}) | ${lvl(s, '2')} | ${lvl(s, '3')} | ${lvl(s, '4')} | ${pct(s.llm_token_ratio)}% | ${s.calls_per_answer.toFixed(3)} |`;
  };
  const rows = RUNS.filter((r) => r[3]).flatMap(([name, , , label]) => cardRows(name, label).map(([l, run]) => row(l, summaries.find((x) => x.run === run))));
  const n = summaries[0]?.n;
  const table = [
    `Measured through the serving path (\`npm run eval:reference\`: \`relayllm eval\`, embedded llama.cpp, greedy, 4 items at a time, ${n} test questions).`,
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
