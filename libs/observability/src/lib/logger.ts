import { context, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level: string;
  /** When false (default), `contentFields` strips prompts and outputs. */
  logContent: boolean;
  /** Where lines go (default stderr, synchronously: stdout carries the apps' ready lines and CLI output); specs pass a stream. */
  destination?: DestinationStream;
}

export type RelayLogger = Logger & { readonly logContent: boolean };

/** trace_id / span_id of the active span, on every line written inside one. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (spanContext === undefined || spanContext.traceId === '00000000000000000000000000000000') return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/** pino JSON lines with service, trace_id and span_id. */
export function createLogger(options: LoggerOptions): RelayLogger {
  const logger = pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: traceFields,
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
  return Object.assign(logger, { logContent: options.logContent });
}

/**
 * The prompt/output fields of a log line, only when the flag allows it;
 * otherwise their sizes (enough to see an empty or huge answer).
 */
export function contentFields(logger: { logContent: boolean }, content: { prompt?: string; output?: string }): Record<string, string | number> {
  if (logger.logContent) return { ...content };
  const out: Record<string, number> = {};
  if (content.prompt !== undefined) out['prompt_chars'] = content.prompt.length;
  if (content.output !== undefined) out['output_chars'] = content.output.length;
  return out;
}
