import { generationOf } from '@relayllm/nats-transport';
import { DEFAULT_RETRY_POLICY, RemoteEngine, type RemoteEngineObserver } from '@relayllm/relay-cluster';
import type { Clock } from '@relayllm/relay-core';
import { NatsRequestTransport, type LlmAttemptEvent, type NatsRequestTransportOptions } from './nats-request-transport';

export interface NatsLlmPoolOptions extends NatsRequestTransportOptions {
  /** Attempts per call, reissues included (default 3). */
  maxAttempts?: number;
  /** Told when an attempt's worker is chosen, before its request is encoded and published (the route stage of a handoff). */
  onRoute?: (attempt: LlmAttemptEvent) => void;
  /** Told of each route and of each failed attempt the call survived (reissued or waiting: relayllm_llm_reissues_total). */
  observer?: RemoteEngineObserver;
  clock?: Clock;
}

/**
 * relay-core's Engine for the LLM over NATS: relay-cluster's one
 * remote-engine skeleton with the NATS request transport. The first attempt
 * of a call goes to the generation's affinity worker when it is live and has
 * room, else to the model's queue group; a failure another worker can fix
 * (no responders, no ack in time, timeout, worker gone, WORKER_FULL, engine
 * failure) is reissued on the least-loaded other worker, at most
 * `maxAttempts` in all; every worker full is RESOURCE_EXHAUSTED WORKERS_BUSY.
 * A NATS outage burns no attempt: the call waits for the link and sends the
 * attempt again, within its deadline (README "NATS outages"). The call's
 * deadline is its request's `deadlineAtMs`: each attempt waits
 * min(attempt timeout, time left), its worker is told that much, and no
 * attempt starts after it (DEADLINE_EXCEEDED CALL_DEADLINE).
 */
export class NatsLlmPool extends RemoteEngine {
  constructor(options: NatsLlmPoolOptions) {
    super(new NatsRequestTransport(options), {
      policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: options.maxAttempts ?? 3 },
      clock: options.clock,
      observer: {
        routed: (event) => {
          options.observer?.routed(event);
          options.onRoute?.({ generationId: generationOf(event), callIndex: event.turn, attempt: event.attempt, route: event.route });
        },
        failedOver: (event) => options.observer?.failedOver(event),
      },
    });
  }
}
