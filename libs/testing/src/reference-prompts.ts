/**
 * The prompts that specs and benches put to the reference pair (models/reference), one constant per
 * role. Several roles hold the same text today; they are separate because a replacement pair may need
 * different prompts for them. Each doc comment says what the pair must do with its prompt (greedy,
 * temperature 0, the reference chat format): that is what a replacement prompt must do too. Facts
 * quoted as "today" hold for the pair shipped on 2026-12-06 (third session).
 *
 * Swapping the pair: re-pick each constant here so that it has its property, then the product's
 * demo question and playground examples (REFERENCE_DEMO_PROMPT, REFERENCE_PLAYGROUND_EXAMPLES in
 * libs/http-api) and the docs. Specs and benches that read the pair's test split
 * (models/reference/data/test.jsonl) pick their own questions and are not listed here.
 */

/**
 * The gold answer of the demo question (REFERENCE_DEMO_PROMPT in libs/http-api, which
 * `npm start` relays as apps/relayllm's SAMPLE_PROMPT). What the demo and specs need of that question:
 * the student alone gets it wrong and relaying gets it right, ending on `\boxed{DEMO_ANSWER}` with EOS
 * (`finish_reason: stop`) within 200 tokens after at least one call (today one call, the teacher
 * writes 4 tokens); the answer is long enough (about 50 tokens or more) that paced engines (10 ms per
 * step) are still writing it when an abort or a shutdown 200 ms in cuts it, and it streams in more
 * than 3 chunks.
 */
export const DEMO_ANSWER = '8789';

/**
 * The student calls the teacher at least twice within 128 tokens at temperature 0 (today at tokens 18
 * and 37; found with `relayllm eval` on the test split): one generation gives a trace with two
 * relay.call spans, and a server's metrics have a call to show.
 */
export const TWO_CALL_PROMPT = 'Compute 39*58.';

/**
 * Within 480 tokens, an early first call, then a long answer (today 163 tokens with 4 calls, the first
 * at token 14): a kill after the first call lands mid-generation and the generation resumes elsewhere.
 * It runs far longer than a 30 ms deadline, long enough that of six sent at once to two SLM slots at
 * least three are refused while the first two run, streams at least 4 content chunks over HTTP, and is
 * deterministic (the cluster's answer is compared with the embedded one). Not from the test split.
 */
export const RESUME_PROMPT = 'Compute 99*99*99*99+99*99.';

/**
 * A question of the task. The teacher alone ends with EOS within 400 tokens. The student alone does
 * not end within its first 8 tokens, writes at least 6 within 16, and its first 6 tokens are ASCII
 * with no `<call>`. Paced at 10 ms per step, a relay answer and an LLM-only answer of up to 400
 * tokens are both still being written 250 ms in (about 40 tokens or more). A call within 96 tokens
 * makes the relay specs' stream and KV-reuse checks meaningful; they log it and do not assert it.
 * Engine specs append the reference format's `\n` themselves.
 */
export const IN_TASK_PROMPT = 'Compute 37*48+15-6.';

/**
 * A short question: the student writes at least 1 token within 4, and the teacher alone
 * (`--policy llm`) at least 1 within 8. Also the valid base of requests that are refused before any
 * model runs.
 */
export const SHORT_PROMPT = 'Compute 2+3.';

/**
 * Paced at 10 ms per step, a relay answer of up to 400 tokens is still being written 200 ms after it
 * starts (about 30 tokens or more): a second request with the same request_id finds it running, and a
 * 200 ms request timeout cuts it. Out of the task today; a replacement pair's output outside its task
 * is unknown, so an in-task question is the safer pick.
 */
export const LONG_PACED_PROMPT = 'Compute 2+3.';

/** Not in the task's wording: a served cluster still writes at least 1 token within 16 for it. */
export const OFF_TASK_PROMPT = 'What is 2+3?';

/**
 * The slm-worker specs relay each question up to 256 tokens, through remote workers and embedded, and
 * compare. Needed: at least one (ideally two) calls the teacher and goes on after the call (calls > 0,
 * not ended by the teacher's EOS; today indexes 3 and 4), where the failover and freeze specs kill or
 * freeze the worker; [7] runs past its first 16-token frame (a cancel at its first chunk finds it
 * running); [6] runs past its first chunk (SIGTERM there) and past 1 ms (a worker deadline); [4..7]
 * relayed together give at least 6 chunks (a kill at the 6th).
 */
export const SLM_WORKER_QUESTIONS: readonly string[] = [
  'Compute 14-0.',
  'Compute 88*10.',
  'Compute 99+65-42.',
  'Compute 22-74*4-68.',
  'Compute 39*58.',
  'Compute 19+90*35*11.',
  'Compute 60*57+17-43.',
  'Compute 37*48+15-6.',
];

/**
 * Relayed within 200 tokens (at most 8 LLM tokens per call) through a remote SLM and in process: at
 * least one calls the teacher (today the first and the last), so a stream serves several turns.
 */
export const REMOTE_SLM_QUESTIONS: readonly string[] = ['Compute 22-74*4-68.', 'Compute 37*48+15-6.', 'Compute 39*58.'];

/**
 * The teacher's greedy 3-token answers, one per question, start with more than 4 distinct characters,
 * so a batch row given another sequence's logits shows in the first token. Today the teacher starts by
 * echoing the expression, so different first operands are enough.
 */
export const DISTINCT_FIRST_PROMPTS: readonly string[] = [
  'Compute 37*48+15-6.',
  'Compute 5+7.',
  'Compute 9*9.',
  'Compute 12*3-4.',
  'Compute 100-58.',
  'Compute 61-2*8.',
  'Compute 3*4*5.',
  'Compute 88+11.',
];

/** Any distinct questions: the student's first 12 tokens for each are the same decoded together as alone. */
export const BATCHED_PROMPTS: readonly string[] = ['Compute 1+2.', 'Compute 40*66+45.', 'Compute 97-39*33+89.', 'Compute 8*9.'];

/** Each completes within 64 tokens, whatever the finish: they only add generations to the metrics. */
export const METRICS_FILLER_PROMPTS: readonly string[] = ['Compute 74+4.', 'Compute 123+456.', 'Compute 71-8.'];

/**
 * A tiny eval dataset: questions of the task with their correct gold answers, at levels 4, 2, 2, 3, 2
 * (a stratified sample of 3 then has levels [2, 2, 3]). Nothing asserts that the pair answers them
 * right.
 */
export const EVAL_ITEMS: readonly { question: string; answer: string; level: number }[] = [
  { question: 'Compute 37*48+15-6.', answer: '1785', level: 4 },
  { question: 'Compute 5+7.', answer: '12', level: 2 },
  { question: 'Compute 9*9.', answer: '81', level: 2 },
  { question: 'Compute 12*3-4.', answer: '32', level: 3 },
  { question: 'Compute 100-58.', answer: '42', level: 2 },
];

/**
 * Questions of the task that a bench cycles through when the models directory ships no test split
 * (`data/test.jsonl`). Benches print numbers and assert nothing, so no property beyond being in the task.
 */
export const BENCH_FALLBACK_PROMPTS: readonly string[] = [
  'Compute 37*48+15-6.',
  'Compute 74+4.',
  'Compute 61*78.',
  'Compute 58-34-10.',
  'Compute 19*3+88-40.',
];
