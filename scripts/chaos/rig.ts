/**
 * One fresh local cluster per fault: a private nats-server and redis-server
 * on free ports, then 3 LLM + 2 SLM workers and the orchestrator, started by
 * the same libs/testing functions as `npm run cluster` and the e2e tests (so
 * whatever they configure, credentials included, is what is measured), and a
 * client of the public gRPC API. Secured as `npm run cluster` is (libs/security
 * generateLocalSecrets: NATS users, Redis password, SLM mTLS; a restarted NATS
 * or Redis keeps its config file) unless `secure` is false (plain mode, each
 * process warns). A fresh cluster per fault keeps one fault's damage (a
 * worker killed for good) out of the next fault's row.
 */
import { createRelayClient, type RelayClient } from '@relayllm/grpc-api';
import { generateLocalSecrets } from '@relayllm/security';
import {
  startLocalCluster,
  startLocalServices,
  startOrchestratorProcess,
  type AppProcessHandle,
  type LocalClusterHandle,
  type NatsServerHandle,
  type RedisServerHandle,
} from '@relayllm/testing';
import { untilServing } from '../../tests/e2e/cluster-probes';
import type { ProcessJanitor } from './janitor';

export const CLUSTER_SHAPE = { llm: 3, slm: 2 } as const;

/**
 * The orchestrator's settings that differ from its defaults. The LLM output
 * cache (keyed by the relay's context) would serve the faulted run's LLM
 * calls from the baseline's, so no LLM worker would be asked: 1 ms keeps it
 * in the path (Redis still written and read) without hits.
 */
export const CHAOS_ORCHESTRATOR_ENV: Readonly<Record<string, string>> = { RELAYLLM_ORCHESTRATOR_OUTPUT_CACHE_TTL_MS: '1' };

/** How long a fresh orchestrator takes to hear every worker's heartbeat (two intervals and a half). */
const HEARD_ALL_WORKERS_MS = 2_500;

export interface ChaosRig {
  readonly nats: NatsServerHandle;
  readonly redis: RedisServerHandle;
  readonly cluster: LocalClusterHandle;
  /** A second orchestrator replica on the same NATS and Redis, when asked for. */
  readonly replica: AppProcessHandle | undefined;
  /** Clients of the public gRPC API: the cluster's orchestrator first, then the replica's. */
  readonly clients: readonly RelayClient[];
  /** Stops everything of this rig (idempotent). */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface RigSettings {
  /** Generated credentials and TLS (as `npm run cluster`); false: plain mode. */
  readonly secure: boolean;
  /** Also start a second orchestrator replica (clients fail over to it). */
  readonly replica: boolean;
  /** A prompt that must generate before the rig counts as serving. */
  readonly warmUpPrompt: string;
}

type Stops = Array<() => Promise<void>>;

/** Starts a rig, each part registered with `janitor` as soon as it exists; resolves once the cluster serves. */
export async function startRig(janitor: ProcessJanitor, log: (line: string) => void, settings: RigSettings): Promise<ChaosRig> {
  const stops: Stops = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  const owned = (p: AppProcessHandle): void => void stops.push(janitor.own(`${p.name} (pid ${p.pid})`, () => p.stop(5_000)));
  try {
    // A start that fails half way stops what it started itself.
    const services = await startLocalServices(settings.secure ? { secrets: generateLocalSecrets() } : { secure: false });
    const { nats, redis, secrets } = services;
    stops.push(janitor.own(`nats-server (pid ${nats.pid}), redis-server (pid ${redis.pid})${secrets === undefined ? '' : ` and the generated secrets (${secrets.dir})`}`, () => services.stop()));
    log(`nats ${nats.url}, redis ${redis.url} (${secrets === undefined ? 'plain' : 'secured'}); starting ${CLUSTER_SHAPE.llm} LLM + ${CLUSTER_SHAPE.slm} SLM workers and the orchestrator`);
    const cluster = await startLocalCluster({
      ...services.connection,
      llmWorkers: CLUSTER_SHAPE.llm,
      slmWorkers: CLUSTER_SHAPE.slm,
      orchestratorEnv: CHAOS_ORCHESTRATOR_ENV,
      // Each process is also stopped by the janitor should Ctrl-C come before the whole cluster is up.
      onReady: owned,
    });
    stops.push(janitor.own('the cluster', () => cluster.stop(5_000)));
    const replica = settings.replica ? await startOrchestratorProcess({ ...services.connection, name: 'orchestrator-2', env: CHAOS_ORCHESTRATOR_ENV }) : undefined;
    if (replica !== undefined) owned(replica);
    const clients = [cluster.address, ...(replica === undefined ? [] : [replica.ready[1]])].map((address) => createRelayClient(address));
    stops.push(janitor.own('the gRPC clients', async () => clients.forEach((client) => client.close())));
    for (const client of clients) await untilServing(client, settings.warmUpPrompt, 60_000);
    await sleep(HEARD_ALL_WORKERS_MS);
    return { nats, redis, cluster, replica, clients, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
