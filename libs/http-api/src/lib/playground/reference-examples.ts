/**
 * Questions the playground offers for the reference pair (embedded and cluster), from the
 * reference pair's test split (models/reference/data/test.jsonl). The first
 * is the one `npm start` relays in its demo (SAMPLE_PROMPT); each of the
 * others also makes the student call the teacher at temperature 0 (1 or 2
 * calls) and ends on the right answer with the pairs shipped on 2026-12-04 and 2026-12-06 (second and third sessions), so
 * the page shows LLM spans doing their job. Re-pick when the models change.
 */
export const REFERENCE_PLAYGROUND_EXAMPLES: readonly string[] = [
  'Compute 89*99-22.',
  'Compute 39*58.',
  'Compute 22-74*4-68.',
  'Compute 44-89-68-75.',
  'Compute 87-35*15.',
  'Compute 86*67.',
];
