/**
 * `npm run prompts:reference [-- --runs DIR]`: after `npm run eval:reference` (or `--models DIR`
 * for a candidate pair, whose runs are under runs/candidate-…), says which of the reference pair's
 * prompts still do what their role needs (scripts/reference-prompt-roles.ts) and, for each that does
 * not (with `--all`, for each), the best `--candidates N` questions of the test split that would. Exit 0: every prompt holds; 1: some must be
 * re-picked; 2: the runs are missing or of different pairs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readResults } from '@relayllm/eval';
import {
  RESUME_PROMPT, IN_TASK_PROMPT, LONG_PACED_PROMPT, METRICS_FILLER_PROMPTS, REMOTE_SLM_QUESTIONS, SHORT_PROMPT,
  SLM_WORKER_QUESTIONS, TWO_CALL_PROMPT, DEMO_ANSWER, DISTINCT_FIRST_PROMPTS,
} from '../libs/testing/src/reference-prompts';
import { REFERENCE_DEMO_PROMPT, REFERENCE_PLAYGROUND_EXAMPLES } from '../libs/http-api/src/lib/playground/reference-examples';
import * as roles from './reference-prompt-roles';

/** The eval:reference runs each role is checked against: relay at call_bias 0, calls blocked, teacher alone. */
const RUNS = { relay: 'relay-call-bias/call_bias=0', alone: 'grpo-blocked', teacher: 'llm' } as const;

/** Every prompt in use, with the role it plays. */
const IN_USE: readonly { prompt: string; role: roles.PromptRole }[] = [
  { prompt: REFERENCE_DEMO_PROMPT, role: roles.DEMO },
  { prompt: TWO_CALL_PROMPT, role: roles.TWO_CALL },
  { prompt: RESUME_PROMPT, role: roles.RESUME },
  { prompt: IN_TASK_PROMPT, role: roles.IN_TASK },
  { prompt: SHORT_PROMPT, role: roles.SHORT },
  { prompt: LONG_PACED_PROMPT, role: roles.LONG_PACED },
  ...REFERENCE_PLAYGROUND_EXAMPLES.slice(1).map((prompt) => ({ prompt, role: roles.PLAYGROUND_EXAMPLE })),
  { prompt: REMOTE_SLM_QUESTIONS[0], role: roles.REMOTE_SLM_CALLER },
  ...SLM_WORKER_QUESTIONS.slice(3).map((prompt) => ({ prompt, role: roles.SLM_WORKER_CALLER })),
  ...METRICS_FILLER_PROMPTS.map((prompt) => ({ prompt, role: roles.METRICS_FILLER })),
];

async function engines(runsDir: string, run: string): Promise<string> {
  const meta = JSON.parse(await readFile(join(runsDir, run, 'run.json'), 'utf8')) as Record<string, string>;
  return `${meta['engines.slm']} ${meta['engines.llm']}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: {
    runs: { type: 'string', default: 'runs/reference' }, candidates: { type: 'string', default: '3' }, all: { type: 'boolean', default: false },
  }  });
  const runsDir = values.runs;
  const pairs = await Promise.all(Object.values(RUNS).map((run) => engines(runsDir, run).catch(() => undefined)));
  if (pairs.some((p) => p === undefined)) {
    process.stderr.write(`${runsDir}: needs the runs ${Object.values(RUNS).join(', ')} (npm run eval:reference)\n`);
    return 2;
  }
  if (new Set(pairs).size !== 1) {
    process.stderr.write(`${runsDir}: the runs were made with different pairs\n`);
    return 2;
  }
  const [relay, alone, teacher] = await Promise.all(Object.values(RUNS).map((run) => readResults(join(runsDir, run))));
  const questions = roles.joinRuns(relay, alone, teacher);
  const byQuestion = new Map(questions.map((q) => [q.question, q]));
  // A prompt no run asked plays no role: every requirement then reads as unmet.
  const runsOf = (prompt: string): roles.QuestionRuns => byQuestion.get(prompt) ?? { question: prompt, gold: '', index: Infinity };
  const limit = Number(values.candidates);
  let repick = 0;
  for (const { prompt, role } of IN_USE) {
    const q = runsOf(prompt);
    const lacks = roles.unmet(role, q);
    if (role === roles.DEMO && lacks.length === 0 && q.gold !== DEMO_ANSWER) lacks.push(`DEMO_ANSWER is ${DEMO_ANSWER}, the gold ${q.gold}`);
    if (lacks.length === 0) process.stdout.write(`ok       ${role.name}: ${JSON.stringify(prompt)}\n`);
    else process.stdout.write(`RE-PICK  ${role.name}: ${JSON.stringify(prompt)} lacks: ${lacks.join('; ')}\n`);
    repick += lacks.length === 0 ? 0 : 1;
    if (lacks.length === 0 && !values.all) continue;
    const picks = roles.candidates(role, questions, limit).map((c) => `${JSON.stringify(c.question)} (gold ${c.gold})`);
    process.stdout.write(`         candidates: ${picks.join(', ') || 'none in these runs'}\n`);
  }
  const shortfall = roles.distinctFirstShortfall(DISTINCT_FIRST_PROMPTS.map(runsOf));
  process.stdout.write(shortfall === undefined ? 'ok       DISTINCT_FIRST_PROMPTS\n' : `RE-PICK  DISTINCT_FIRST_PROMPTS: ${shortfall}\n`);
  repick += shortfall === undefined ? 0 : 1;
  process.stdout.write(`${repick === 0 ? 'every prompt holds' : `${repick} to re-pick`} (runs: ${runsDir}); check each pick with relayllm generate at its role's policy\n`);
  return repick === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
