/**
 * The question `npm start` relays in its demo (apps/relayllm's SAMPLE_PROMPT) and the playground's
 * first example: a test-split question (models/reference/data/test.jsonl) that the reference student
 * gets wrong alone and right when it relays (one call, the teacher writes 4 tokens), so the demo
 * shows a call doing its job. Picked from `npm run eval:reference`'s runs with the pair shipped on
 * 2026-12-04 and still such a question with the pairs shipped on 2026-12-06 (second and third
 * sessions): one of the third's 65 test questions wrong with calls blocked (`teacher-free`) and right
 * relaying with one 4-token call (the model card has the overall figures). Specs rely on it too
 * (DEMO_ANSWER in libs/testing's reference-prompts.ts says how). Re-pick when models change.
 */
export const REFERENCE_DEMO_PROMPT = 'Compute 89*99-22.';

/**
 * Questions the playground offers for the reference pair (embedded and cluster), from the
 * reference pair's test split (models/reference/data/test.jsonl). The first
 * is the one `npm start` relays in its demo (REFERENCE_DEMO_PROMPT); each of the
 * others also makes the student call the teacher at temperature 0 (1 or 2
 * calls) and ends on the right answer with the pairs shipped on 2026-12-04 and 2026-12-06 (second and third sessions), so
 * the page shows LLM spans doing their job. Re-pick when the models change.
 */
export const REFERENCE_PLAYGROUND_EXAMPLES: readonly string[] = [
  REFERENCE_DEMO_PROMPT,
  'Compute 39*58.',
  'Compute 22-74*4-68.',
  'Compute 44-89-68-75.',
  'Compute 87-35*15.',
  'Compute 86*67.',
];
