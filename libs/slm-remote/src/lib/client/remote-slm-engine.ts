import { DEFAULT_RETRY_POLICY, RemoteEngine, type RemoteEngineObserver } from '@relayllm/relay-cluster';
import type { RelayError } from '@relayllm/relay-core';
import { SlmStreamTransport, type SlmStreamTransportOptions } from './slm-stream-transport';

export interface RemoteSlmEngineOptions extends SlmStreamTransportOptions {
  /** Streams opened per round when workers fail or refuse (default 3). */
  maxAttempts?: number;
  /**
   * How long a generate may wait, in all, for a slot when every worker is
   * full or gone (default 10 s, cut to the call's deadline). A stream of this
   * client that ends wakes one waiting generate; a generate that runs out of
   * it while workers are live but full fails RESOURCE_EXHAUSTED (overload).
   */
  capacityWaitMs?: number;
  /** How long, in all, a generate waits while no worker is live at all before it fails UNAVAILABLE NO_SLM_WORKER (default 2 s). */
  outageGraceMs?: number;
  /** Told each time a generate moves to another worker (logs, metrics, specs). */
  onFailover?: (event: SlmFailoverEvent) => void;
  /** Told when an attempt's worker was chosen. */
  observer?: RemoteEngineObserver;
}

export interface SlmFailoverEvent {
  sequenceId: string;
  /** The worker whose stream failed. */
  fromWorkerId: string;
  /** Tokens already yielded by this generate (replayed as context on the next worker). */
  yieldedTokens: number;
  error: RelayError;
}

/**
 * relay-core's Engine for the SLM over SLM workers: relay-cluster's one
 * remote-engine skeleton (worker choice, the retry policy, replay of what was
 * yielded) with the gRPC stream transport. One stream per generation
 * (`request.sequenceId`); a generate that breaks mid-stream continues on
 * another worker from its context plus every token already yielded.
 */
export class RemoteSlmEngine extends RemoteEngine {
  private readonly streams: SlmStreamTransport;

  constructor(options: RemoteSlmEngineOptions) {
    const transport = new SlmStreamTransport(options);
    super(transport, {
      policy: {
        ...DEFAULT_RETRY_POLICY,
        maxAttempts: options.maxAttempts ?? 3,
        capacityWaitMs: options.capacityWaitMs ?? 10_000,
        outageGraceMs: options.outageGraceMs ?? 2_000,
      },
      observer: {
        routed: (event) => options.observer?.routed(event),
        failedOver: (event) => {
          options.observer?.failedOver(event);
          options.onFailover?.({ sequenceId: event.sequenceId, fromWorkerId: event.workerId ?? '', yieldedTokens: event.yieldedTokens, error: event.error });
        },
      },
    });
    this.streams = transport;
  }

  /** Open streams per worker id. */
  openStreams(): Map<string, number> {
    return this.streams.openStreams();
  }

  /** The worker serving a sequence's stream, if one is open (for tests and routing metrics). */
  workerOf(sequenceId: string): string | undefined {
    return this.streams.workerOf(sequenceId);
  }
}
