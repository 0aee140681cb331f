/**
 * The prompts that specs and benches put to the reference pair (models/reference), one constant per
 * role. Several roles hold the same text today; they are separate because a replacement pair may need
 * different prompts for them. Each doc comment says what the pair must do with its prompt (greedy,
 * temperature 0, the reference chat format): that is what a replacement prompt must do too. Facts
 * quoted as "today" hold for the pair shipped on 2026-12-07, trained on the lookup task: every
 * question has one operand written `f(key)` (key 100..999) that the answer looks up on its second line
 * (`f(757)=77`); the student never saw the values of keys 700..999, the teacher knows them all.
 * Questions without `f(...)` are outside the task of this pair (its answers to them are unknown), so
 * every pick below is a question of the task, from the test split (models/reference/data/test.jsonl)
 * where it could be (picked from `npm run eval:reference`'s per-item results of the pair, then each
 * checked with `relayllm generate` at its role's policy and max tokens).
 *
 * Swapping the pair: re-pick each constant here so that it has its property, then the product's
 * demo question and playground examples (REFERENCE_DEMO_PROMPT, REFERENCE_PLAYGROUND_EXAMPLES in
 * libs/http-api) and the docs. `npm run prompts:reference`, after the new pair's eval:reference,
 * checks the properties its runs show (scripts/reference-prompt-roles.ts) and lists candidates. Specs and benches that read the pair's test split
 * (models/reference/data/test.jsonl) pick their own questions and are not listed here.
 */

/**
 * The gold answer of the demo question (REFERENCE_DEMO_PROMPT in libs/http-api, which
 * `npm start` relays as apps/relayllm's SAMPLE_PROMPT). What the demo and specs need of that question:
 * the student alone gets it wrong and relaying gets it right, ending on `\boxed{DEMO_ANSWER}` with EOS
 * (`finish_reason: stop`) within 200 tokens after at least one call (today `Compute 38+f(757)+72.`:
 * 100 tokens, one call at token 23 in which the teacher writes the 2 tokens of `f(757)`'s value, 77;
 * alone, `--policy slm`, the student writes `f(757)===78` and ends on `\boxed{178}`); the answer is long
 * enough (about 50 tokens or more) that paced engines (10 ms per step) are still writing it when an
 * abort or a shutdown 200 ms in cuts it, and it streams in more than 3 chunks.
 */
export const DEMO_ANSWER = '187';

/**
 * The student calls the teacher at least twice within 128 tokens at temperature 0 (today 2 calls, at
 * tokens 23 and 48; a test-split question): one generation gives a trace with two relay.call
 * spans, and a server's metrics have a call to show.
 */
export const TWO_CALL_PROMPT = 'Compute f(708)-89*77.';

/**
 * Within 480 tokens, an early first call, then a long answer (today 171 tokens with 4 calls, the first
 * at token 25, ending with EOS): a kill after the first call lands mid-generation and the generation
 * resumes elsewhere. It runs far longer than a 30 ms deadline, long enough that of six sent at once to
 * two SLM slots at least three are refused while the first two run, streams at least 4 content chunks
 * over HTTP, and is deterministic (the cluster's answer is compared with the embedded one). It need not
 * come from the test split but must be a question of the task (today it is a test-split question).
 */
export const RESUME_PROMPT = 'Compute 67*6*f(718)-57.';

/**
 * A question of the task. The teacher alone ends with EOS within 400 tokens. The student alone does
 * not end within its first 8 tokens, writes at least 6 within 16, and its first 6 tokens are ASCII
 * with no `<call>`. Paced at 10 ms per step, a relay answer and an LLM-only answer of up to 400
 * tokens are both still being written 250 ms in (about 40 tokens or more). A call within 96 tokens
 * makes the relay specs' stream and KV-reuse checks meaningful; they log it and do not assert it.
 * Engine specs append the reference format's `\n` themselves. Today (a test-split question): relayed,
 * 171 tokens with one call at token 27; the teacher alone 168 tokens ending with EOS; the student
 * alone 16 of 16 tokens.
 */
export const IN_TASK_PROMPT = 'Compute 55+f(959)-35*92.';

/**
 * A short question of the task: the student writes at least 1 token within 4, and the teacher alone
 * (`--policy llm`) at least 1 within 8 (today 4 of 4 and 8 of 8; the first test-split question). Also
 * the valid base of requests that are refused before any model runs.
 */
export const SHORT_PROMPT = 'Compute f(926)-0.';

/**
 * Paced at 10 ms per step, a relay answer of up to 400 tokens is still being written 200 ms after it
 * starts (about 30 tokens or more): a second request with the same request_id finds it running, and a
 * 200 ms request timeout cuts it. A question of the task (a replacement pair's output outside its task
 * is unknown); today, from the test split, 160 tokens with 3 calls, ending with EOS.
 */
export const LONG_PACED_PROMPT = 'Compute 8*21*f(701).';

/**
 * Not in the task's wording: a served cluster still writes at least 1 token within 16 for it (today
 * the relay writes 16 of 16, no call).
 */
export const OFF_TASK_PROMPT = 'What is 2+3?';

/**
 * The slm-worker specs relay each question up to 256 tokens, through remote workers and embedded, and
 * compare. Needed: at least one (ideally two) calls the teacher and goes on after the call (calls > 0,
 * not ended by the teacher's EOS; today indexes 3 and 4, 1 call each, and 5..7, 3 calls each), where the
 * failover and freeze specs kill or freeze the worker; [7] runs past its first 16-token frame (a
 * cancel at its first chunk finds it running); [6] runs past its first chunk (SIGTERM there) and past
 * 1 ms (a worker deadline); [4..7] relayed together give at least 6 chunks (a kill at the 6th). Today
 * [0..2] make no call (92, 63 and 127 tokens), [3] 64 and [4] 95 tokens, [5..7] 202 to 205 tokens
 * with 3 calls each; all from the test split, all ending with the student's EOS.
 */
export const SLM_WORKER_QUESTIONS: readonly string[] = [
  'Compute f(200)*85.',
  'Compute 85+f(170).',
  'Compute 91+f(571)*83.',
  'Compute f(897)-38.',
  'Compute 78*f(787).',
  'Compute 84*54-56*f(161).',
  'Compute 29*f(922)-75*57.',
  'Compute 78*16*77+f(562).',
];

/**
 * Relayed within 200 tokens (at most 8 LLM tokens per call) through a remote SLM and in process: at
 * least one calls the teacher (today the first and the second once each, the third not at all; 160,
 * 99 and 90 tokens, each ending with EOS), so a stream serves several turns.
 */
export const REMOTE_SLM_QUESTIONS: readonly string[] = ['Compute f(834)*3+96*87.', 'Compute f(905)-54-99.', 'Compute f(376)*11.'];

/**
 * The teacher's greedy 3-token answers, one per question, start with more than 4 distinct characters,
 * so a batch row given another sequence's logits shows in the first token. Today the teacher starts by
 * echoing the expression, so the questions start with different characters: one with `f(`, the
 * others with different first digits (today 8 distinct: f 1 8 5 6 4 2 9).
 */
export const DISTINCT_FIRST_PROMPTS: readonly string[] = [
  'Compute f(926)-0.',
  'Compute 1+f(355).',
  'Compute 8*f(592).',
  'Compute 5-f(882).',
  'Compute 6-f(925).',
  'Compute 4+f(743).',
  'Compute 2-f(296).',
  'Compute 9-f(249).',
];

/**
 * Sampled at temperature 1 with seeds 11, 12 and 13 (relaying, 200 tokens), the student's three draws
 * differ in where and how often it calls (today: 1, 2 and 1 calls; the second also calls at token 42),
 * so a spec can tell one choice's draw from another's. The demo question is no use here: this
 * student, sampled, writes it the same way every time. Not checked by `npm run prompts:reference`
 * (its runs are greedy): after a pair swap, `relayllm generate "<this>" --temperature 1 --seed S --json`.
 */
export const SAMPLED_DRAWS_PROMPT = 'Compute f(756)*16.';

/** Any distinct questions: the student's first 12 tokens for each are the same decoded together as alone. */
export const BATCHED_PROMPTS: readonly string[] = ['Compute 0+f(344).', 'Compute 13*f(756)+42.', 'Compute 1+26-f(952)+30.', 'Compute 8*f(592).'];

/**
 * Each completes within 64 tokens, whatever the finish: they only add generations to the metrics
 * (today all three end with EOS, 53 to 62 tokens).
 */
export const METRICS_FILLER_PROMPTS: readonly string[] = ['Compute 4+f(743).', 'Compute f(105)*2.', 'Compute 72-f(174).'];

/**
 * A tiny eval dataset: questions of the task with their correct gold answers, at levels 4, 2, 2, 3, 2
 * (a stratified sample of 3 then has levels [2, 2, 3]). Nothing asserts that the pair answers them
 * right. Items of the test split, gold answers as the split has them.
 */
export const EVAL_ITEMS: readonly { question: string; answer: string; level: number }[] = [
  { question: 'Compute 1+26-f(952)+30.', answer: '14', level: 4 },
  { question: 'Compute 85+f(170).', answer: '133', level: 2 },
  { question: 'Compute f(105)*2.', answer: '38', level: 2 },
  { question: 'Compute 46-6+f(922).', answer: '90', level: 3 },
  { question: 'Compute 5-f(882).', answer: '-62', level: 2 },
];

/**
 * Questions of the task that a bench cycles through when the models directory ships no test split
 * (`data/test.jsonl`). Benches print numbers and assert nothing, so no property beyond being in the task.
 */
export const BENCH_FALLBACK_PROMPTS: readonly string[] = [
  'Compute 55+f(959)-35*92.',
  'Compute 4+f(743).',
  'Compute f(200)*85.',
  'Compute 46-6+f(922).',
  'Compute 28*40+f(727)-58.',
];
