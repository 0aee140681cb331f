import { Counter, type Registry } from 'prom-client';
import type { RemoteEngineObserver } from '@relayllm/relay-cluster';

/**
 * The faults a cluster rides through, counted where they are handled (the
 * dashboard's Faults row): a generate moved to another attempt or worker, a
 * broker connection lost. Reasons are RelayError reasons (a closed set);
 * roles are the process roles below. No worker ids: Prometheus adds the instance.
 */

/** The process whose NATS connection dropped (each app has one connection). */
export const BROKER_ROLES = ['orchestrator', 'slm_worker', 'llm_worker'] as const;
export type BrokerRole = (typeof BROKER_ROLES)[number];

/** The remote engines' roles: the LLM's relay calls and the SLM's generations. */
export type RemoteRole = 'slm' | 'llm';

/** The part of a NATS connection status this counter reads (nats-transport's `onStatus` events). */
export interface BrokerStatusEvent {
  readonly type: string;
}

/** NATS connection losses of this process, by role (orchestrator and both workers). */
export class BrokerMetrics {
  readonly disconnects: Counter<'role'>;

  constructor(
    registry: Registry,
    private readonly role: BrokerRole,
  ) {
    this.disconnects = new Counter({
      name: 'relayllm_broker_disconnects_total',
      help: 'Times this process lost its NATS connection (the client reconnects by itself), by role.',
      labelNames: ['role'],
      registers: [registry],
    });
    // A process that never lost its broker shows 0, not "no data".
    this.disconnects.inc({ role }, 0);
  }

  /** connectNats's `onStatus`: each `disconnect` is one loss (reconnect attempts and pings are not). */
  readonly onStatus = (status: BrokerStatusEvent): void => {
    if (status.type === 'disconnect') this.disconnects.inc({ role: this.role });
  };
}

/** The orchestrator's fault counters: reissued LLM attempts, moved SLM generations, its broker connection. */
export class FaultMetrics {
  readonly llmReissues: Counter<'reason'>;
  readonly slmFailovers: Counter<'reason'>;
  readonly broker: BrokerMetrics;

  constructor(registry: Registry) {
    const registers = [registry];
    this.llmReissues = new Counter({
      name: 'relayllm_llm_reissues_total',
      help: 'LLM relay attempts that failed while the call went on (reissued on another attempt or worker, with the tokens already written), by the failure\'s RelayError reason.',
      labelNames: ['reason'],
      registers,
    });
    this.slmFailovers = new Counter({
      name: 'relayllm_slm_failovers_total',
      help: 'SLM generations moved to another worker (continued from what was already written) after their stream failed, by the failure\'s RelayError reason.',
      labelNames: ['reason'],
      registers,
    });
    this.broker = new BrokerMetrics(registry, 'orchestrator');
  }

  /**
   * A remote engine's observer (RemoteEngineOptions.observer) counting each
   * failed attempt after which the generate goes on: reissued elsewhere or
   * waiting for capacity. The attempt that ends a generate is not counted
   * (it is the generation's error, on relayllm_errors_total).
   */
  remoteEngineObserver(role: RemoteRole): RemoteEngineObserver {
    const counter = role === 'llm' ? this.llmReissues : this.slmFailovers;
    return {
      routed: () => undefined,
      failedOver: (event) => counter.inc({ reason: event.error.reason }),
    };
  }
}
