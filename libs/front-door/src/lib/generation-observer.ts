import type { RelayRequest, RelayStreamEvent } from '@relayllm/relay-core';
import type { CallerContext } from './relay-service-handler';

/**
 * Spans, metrics and logs of one generation, observed from the outside (the
 * front door stays free of OpenTelemetry; libs/observability implements it).
 * `run` yields the generation's events; the observer passes them on
 * unchanged and may run them in a context of its own (the active span).
 * `signal` is the call's: its reason tells a generation cut by the caller's
 * deadline from one the caller cancelled (both end as `cancelled`).
 */
export interface GenerationObserver {
  observe(run: () => AsyncIterable<RelayStreamEvent>, request: RelayRequest, caller: CallerContext, signal: AbortSignal): AsyncIterable<RelayStreamEvent>;
}
