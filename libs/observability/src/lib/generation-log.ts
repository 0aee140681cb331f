import { isRelayError, type RelayRequest, type RelayStreamEvent } from '@relayllm/relay-core';
import { contentFields } from './logger';

/** What the relay instrumentation logs through (a RelayLogger). */
export interface GenerationLogger {
  readonly logContent: boolean;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/**
 * The one line of a generation's end: `generation finished` (finish reason,
 * usage, duration) or `generation failed` (RelayError kind and reason).
 * Called inside the generation's span, so the logger adds its trace ids.
 * Prompt and answer only when the logger's content flag is on.
 */
export function logGenerationEnd(
  logger: GenerationLogger,
  request: Partial<Pick<RelayRequest, 'generationId' | 'prompt'>>,
  completed: Extract<RelayStreamEvent, { type: 'completed' }> | undefined,
  error: unknown,
  ms: number,
): void {
  const base = { generation_id: request.generationId, duration_ms: Math.round(ms) };
  if (error !== undefined) {
    const failure = isRelayError(error) ? { error_kind: error.kind, error_reason: error.reason } : { error_kind: 'internal' };
    logger.warn({ ...base, ...failure, ...contentFields(logger, { prompt: request.prompt }) }, 'generation failed');
    return;
  }
  const usage = completed?.usage;
  logger.info(
    {
      ...base,
      finish_reason: completed?.finishReason ?? 'cancelled',
      calls: usage?.calls,
      slm_tokens: usage?.slmTokens,
      llm_tokens: usage?.llmTokens,
      llm_token_ratio: usage?.llmTokenRatio,
      ...contentFields(logger, { prompt: request.prompt, output: completed?.text }),
    },
    'generation finished',
  );
}
