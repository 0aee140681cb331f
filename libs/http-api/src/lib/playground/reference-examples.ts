/**
 * The question `npm start` relays in its demo (apps/relayllm's SAMPLE_PROMPT) and the playground's
 * first example: a test-split question (models/reference/data/test.jsonl) that the reference student
 * gets wrong alone and right when it relays, so the demo shows a call doing its job. With the pair
 * shipped on 2026-12-07 evening (the lookup task: one operand is `f(key)`, and the student never saw the
 * values of keys 700..999): relaying, the student calls once at token 23 and the teacher writes
 * `f(757)`'s value, 77, ending on `\boxed{187}` (100 tokens); alone (calls blocked, or `--policy slm`)
 * it guesses the value and ends wrong. Picked from `npm run eval:reference`'s runs of that pair.
 * Specs rely on it too (DEMO_ANSWER in libs/testing's reference-prompts.ts says how). Re-pick when
 * models change.
 */
export const REFERENCE_DEMO_PROMPT = 'Compute 38+f(757)+72.';

/**
 * Questions the playground offers for the reference pair (embedded and cluster), from the
 * reference pair's test split (models/reference/data/test.jsonl). The first
 * is the one `npm start` relays in its demo (REFERENCE_DEMO_PROMPT); each of the
 * others also looks up a key the student never saw, makes the student call the teacher at
 * temperature 0 (1 or 2 calls) and ends on the right answer with the pair shipped on 2026-12-07 evening,
 * while the student alone (the playground's SLM-only panel) ends on a wrong one, so the page
 * shows LLM spans doing their job. Re-pick when the models change.
 */
export const REFERENCE_PLAYGROUND_EXAMPLES: readonly string[] = [
  REFERENCE_DEMO_PROMPT,
  'Compute 88*f(973).',
  'Compute f(756)*16.',
  'Compute f(907)-2.',
  'Compute f(972)+21-15+95.',
  'Compute 85+88+5-f(958).',
];
