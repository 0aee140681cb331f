#!/usr/bin/env node
/**
 * Test double of apps/relayllm/bin/relayllm.cjs for eval-reference.integration.spec.ts:
 * `eval` writes a summary.json shaped like the real one (one per --sweep value) without
 * any model, `report` writes a report folder; every call is appended to $FAKE_CLI_LOG.
 * $FAKE_CLI_N, when set, is the n every summary reports (a run short of the dataset).
 */
const { appendFileSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const [command, ...args] = process.argv.slice(2);
if (process.env.FAKE_CLI_LOG) appendFileSync(process.env.FAKE_CLI_LOG, `${JSON.stringify([command, ...args])}\n`);
/** `--name value` or `--name=value` (negative values must use the second form). */
const flag = (name) => {
  const joined = args.find((a) => a.startsWith(`--${name}=`));
  if (joined !== undefined) return joined.slice(name.length + 3);
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
};
const SWEPT = { 'random-router': 'p', uncertainty: 'threshold', 'relay-floor': 'threshold', relay: 'call_bias' };

function summary(policy, label, n, of, limit) {
  return {
    policy, params: {}, label, dataset: flag('dataset'), n, correct: n, accuracy: 1, accuracy_ci95: [0.9, 1],
    llm_token_ratio: policy === 'llm' ? 1 : 0.03, calls_per_answer: 0.7, by_level: { 2: { n, accuracy: 1 } },
    ...(limit === undefined ? {} : { sample: { limit, of, seed: 0, by_level: null } }),
  };
}

if (command === 'eval') {
  const of = readFileSync(flag('dataset'), 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  const limit = flag('limit') === undefined ? undefined : Number(flag('limit'));
  const sampled = limit !== undefined && limit < of;
  const n = process.env.FAKE_CLI_N ? Number(process.env.FAKE_CLI_N) : sampled ? limit : of;
  const policy = flag('policy');
  const sweep = flag('sweep');
  const param = SWEPT[policy];
  const dirs = sweep === undefined ? [flag('out')] : sweep.split(',').map((v) => join(flag('out'), `${param}=${v}`));
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'results.jsonl'), '');
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary(policy, policy, n, of, sampled ? limit : undefined)));
  }
} else if (command === 'report') {
  const out = flag('out');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.html'), '<html>fake report</html>\n');
  process.stdout.write(`fake report of ${args.filter((a) => !a.startsWith('--') && a !== out).length} runs\n`);
} else {
  process.stderr.write(`fake relayllm: unknown command ${command}\n`);
  process.exit(2);
}
