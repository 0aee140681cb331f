import { z } from 'zod';
import { POLICIES, type RunSummary } from '../metrics/types';

const count = z.number().int().nonnegative();
const nonNegative = z.number().nonnegative();
// Fractions, not percent: the renderer multiplies by 100, and a percent value
// slipping through would silently plot at 4950%.
const fraction = z.number().min(0, 'must be a fraction in [0, 1]').max(1, 'must be a fraction in [0, 1]');

const summarySchema = z.object({
  policy: z.enum(POLICIES),
  params: z.record(z.string(), z.unknown()),
  label: z.string().min(1),
  model: z.string().min(1).optional(),
  dataset: z.string(),
  n: count,
  accuracy: fraction,
  accuracy_ci95: z.tuple([fraction, fraction]),
  // Pooled ratio; may round a hair over 1, clamped where it is used.
  llm_token_ratio: nonNegative,
  slm_tokens: nonNegative,
  llm_tokens: nonNegative,
  calls_per_answer: nonNegative,
  llm_prefill_tokens: nonNegative,
  latency_ms_p50: nonNegative,
  latency_ms_p95: nonNegative,
  tokens_per_s: nonNegative,
  mean_response_tokens: nonNegative,
  by_level: z.record(z.string(), z.object({ n: count, accuracy: fraction })),
  call_positions: z.array(fraction),
  sample: z
    .object({
      limit: count,
      of: count,
      seed: z.number().int(),
      by_level: z.record(z.string(), z.object({ taken: count, of: count })).nullable(),
    })
    .optional(),
});

export class SummaryError extends Error {
  override readonly name = 'SummaryError';
}

/** Validates parsed JSON; `where` names the file in the error. Extra fields are dropped. */
export function parseSummary(raw: unknown, where: string): RunSummary {
  const parsed = summarySchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SummaryError(`${where}: invalid run summary:\n  ${lines.join('\n  ')}`);
  }
  return parsed.data;
}
