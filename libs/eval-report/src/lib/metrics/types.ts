/**
 * The run summary the eval runner writes to `<dir>/summary.json`.
 * Accuracies are fractions in [0, 1]; token shares are fractions in [0, 1].
 * The math in this folder is scale-free (percent inputs give percent outputs),
 * only the renderer assumes fractions.
 */
export const POLICIES = [
  'relay',
  'slm',
  'llm',
  'random-router',
  'uncertainty',
  'relay-floor',
  'fixed',
  'teacher-free',
] as const;

export type Policy = (typeof POLICIES)[number];

export interface LevelResult {
  n: number;
  accuracy: number;
}

/** How a `relayllm eval --limit` run chose its items; absent when every item ran. */
export interface SampleInfo {
  limit: number;
  /** Items in the dataset. */
  of: number;
  seed: number;
  /** Items taken / held per level; null when the items have no level. */
  by_level: Record<string, { taken: number; of: number }> | null;
}

export interface RunSummary {
  policy: Policy;
  params: Record<string, unknown>;
  label: string;
  /** The checkpoint the run used (`relayllm eval --model-label`); separates curves of one policy. */
  model?: string;
  dataset: string;
  n: number;
  accuracy: number;
  accuracy_ci95: [number, number];
  /** Pooled LLM-generated tokens / response tokens: the run's "LLM-token share". */
  llm_token_ratio: number;
  slm_tokens: number;
  llm_tokens: number;
  calls_per_answer: number;
  llm_prefill_tokens: number;
  latency_ms_p50: number;
  latency_ms_p95: number;
  tokens_per_s: number;
  mean_response_tokens: number;
  by_level: Record<string, LevelResult>;
  /** Position of each call in its answer, relative (0 = start, 1 = end). */
  call_positions: number[];
  /** Only for a `--limit` run: which items it answered. */
  sample?: SampleInfo;
}

/** Accuracy and mean response length of a single-model run (SLM-only or LLM-only). */
export interface Endpoint {
  accuracy: number;
  meanResponseTokens: number;
}

/** The two single-model runs every relative metric is measured against. */
export interface Baselines {
  slm: Endpoint;
  llm: Endpoint;
}

/** One run on the PGR-vs-share plane. */
export interface CurvePoint {
  /** LLM-token share in [0, 1]. */
  share: number;
  pgr: number;
}
