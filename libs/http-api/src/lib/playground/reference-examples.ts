/**
 * Questions the playground offers for the reference pair (embedded and cluster), from the
 * reference pair's test split (models/reference/data/test.jsonl). The first
 * is the one `npm start` relays in its demo (SAMPLE_PROMPT); each of the
 * others also makes the student call the teacher at temperature 0 (1 to 3
 * calls) and ends on the right answer with the pair shipped on 2026-11-27, so
 * the page shows LLM spans doing their job. Re-pick when the models change.
 */
export const REFERENCE_PLAYGROUND_EXAMPLES: readonly string[] = [
  'Compute 56*84-28.',
  'Compute 86*17.',
  'Compute 76*77+52.',
  'Compute 89*99-22.',
  'Compute 44-89-68-75.',
  'Compute 22-74*4-68.',
];
