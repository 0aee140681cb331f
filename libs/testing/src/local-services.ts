import type { LocalClusterSecurity } from './local-cluster';
import { startNatsServer, type NatsServerHandle } from './nats-server';
import { startRedisServer, type RedisServerHandle } from './redis-server';

/**
 * The part of libs/security's LocalSecrets (generateLocalSecrets()) these
 * services use. Declared here, not imported: libs/security's integration
 * specs use this lib, so an import back would be a dependency cycle.
 */
export interface LocalServicesSecrets {
  /** nats-server config: the users and their permissions. */
  readonly natsConfigFile: string;
  /** redis-server config: `requirepass`. */
  readonly redisConfigFile: string;
  /** The security environment of each kind of process. */
  readonly env: LocalClusterSecurity;
  /** Deletes the secrets (idempotent). */
  remove(): void;
}

/**
 * Secured (`secrets`, e.g. `generateLocalSecrets()`, owned from here on:
 * removed by `stop()` or a failed start) or plain on purpose (`secure: false`,
 * the processes then run PLAIN_MODE_ENV). No default: each caller says which.
 */
export type LocalServicesOptions<S extends LocalServicesSecrets> = ({ secrets: S } | { secure: false }) & {
  /** How long each server's start (and restart) waits for its port. Default: theirs (10 s). */
  startTimeoutMs?: number;
};

/** What startLocalCluster / startOrchestratorProcess need to reach these services. */
export interface LocalServicesConnection {
  readonly natsUrl: string;
  readonly redisUrl: string;
  /** undefined when plain. */
  readonly security: LocalClusterSecurity | undefined;
}

export interface LocalServicesHandle<S extends LocalServicesSecrets = LocalServicesSecrets> {
  /** The secrets given; undefined when plain. */
  readonly secrets: S | undefined;
  readonly nats: NatsServerHandle;
  readonly redis: RedisServerHandle;
  /** Spread into startLocalCluster / startOrchestratorProcess options. */
  readonly connection: LocalServicesConnection;
  /** Stops Redis, then NATS, then deletes the secrets. Idempotent. */
  stop(): Promise<void>;
}

/** Runs every stop (latest first) even when one fails; rethrows the first failure once all ran. */
async function runStops(stops: Array<() => Promise<void>>): Promise<void> {
  let firstFailure: unknown;
  for (const stop of stops.splice(0).reverse()) {
    await stop().catch((error: unknown) => (firstFailure ??= error));
  }
  if (firstFailure !== undefined) throw firstFailure;
}

function named(what: string, error: unknown): Error {
  return new Error(`local services: ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * Starts a private nats-server and redis-server on free ports (loopback), on
 * the secrets' configs unless plain. Should a step fail, whatever already
 * started is stopped (secrets deleted) before the error, which names the
 * step, is thrown.
 */
export async function startLocalServices<S extends LocalServicesSecrets>(options: LocalServicesOptions<S>): Promise<LocalServicesHandle<S>> {
  const stops: Array<() => Promise<void>> = [];
  const step = async <T>(what: string, start: () => Promise<T>): Promise<T> => {
    try {
      return await start();
    } catch (error) {
      await runStops(stops).catch(() => undefined);
      throw named(what, error);
    }
  };
  const secrets = 'secrets' in options ? options.secrets : undefined;
  if (secrets !== undefined) stops.push(async () => secrets.remove());
  const timeout = { startTimeoutMs: options.startTimeoutMs };
  const nats = await step('starting nats-server', () => startNatsServer({ configFile: secrets?.natsConfigFile, ...timeout }));
  stops.push(() => nats.stop());
  const redis = await step('starting redis-server', () => startRedisServer({ configFile: secrets?.redisConfigFile, ...timeout }));
  stops.push(() => redis.stop());
  let stopping: Promise<void> | undefined;
  return {
    secrets,
    nats,
    redis,
    connection: { natsUrl: nats.url, redisUrl: redis.url, security: secrets?.env },
    stop: () => (stopping ??= runStops(stops)),
  };
}
