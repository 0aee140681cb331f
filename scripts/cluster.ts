/**
 * `npm run cluster`: a local distributed deployment on the reference models,
 * secured by default.
 *  - Generates fresh secrets in a private temp dir (0700; libs/security
 *    generateLocalSecrets): a NATS user per role with only its subjects, a
 *    Redis password, and the SLM channel's CA + certificates (mTLS, the
 *    workers' certificate name checked by the orchestrator). The processes get
 *    them through their environment; `<dir>/<role>.env` holds each role's set.
 *    The directory is removed when the cluster stops.
 *  - Starts NATS on 127.0.0.1:4222 and Redis on 127.0.0.1:6379 with them: a
 *    client without credentials is refused (checked at start). A server
 *    already listening there was not started with these secrets: the script
 *    refuses to use it, unless RELAYLLM_INSECURE=true (plain mode: no
 *    secrets, an existing plain NATS / Redis is used, every app logs its
 *    warning).
 *  - Then 3 LLM workers, 2 SLM workers and 1 orchestrator, each its own
 *    process (libs/testing startLocalCluster, the same launcher the e2e tests
 *    use); prints where the public gRPC API listens.
 *  - Ctrl-C (SIGINT) / SIGTERM stops everything it started, and nothing else.
 * Options (environment): RELAYLLM_ORCHESTRATOR_PORT (default 50051),
 * RELAYLLM_CLUSTER_NATS_PORT / RELAYLLM_CLUSTER_REDIS_PORT (default 4222 /
 * 6379), RELAYLLM_CLUSTER_THREADS (llama.cpp threads per worker, default 1),
 * RELAYLLM_CLUSTER_METRICS_PORT (/metrics of the orchestrator on this port,
 * the 3 LLM workers and 2 SLM workers on the next five; default none),
 * RELAYLLM_INSECURE, and the OTEL_* variables (passed to every process).
 * They are read once (scripts/cluster-config.ts): an invalid value stops the
 * script before it starts anything, with exit code 2 and the variable named.
 */
import { createConnection } from 'node:net';
import { ConfigError, EXIT } from '@relayllm/app-kit';
import { connectNats } from '@relayllm/nats-transport';
import { generateLocalSecrets, type LocalSecrets } from '@relayllm/security';
import { startLocalCluster, startNatsServer, startRedisServer, waitForPort, type LocalClusterHandle } from '@relayllm/testing';
import { loadClusterConfig, type ClusterConfig } from './cluster-config';

const HOST = '127.0.0.1';

const log = (line: string): void => void process.stderr.write(`[cluster] ${line}\n`);

async function listening(port: number): Promise<boolean> {
  try {
    await waitForPort(port, HOST, 300);
    return true;
  } catch {
    return false;
  }
}

interface Stoppable {
  stop(): Promise<void>;
}

/** Redis's first answer to a PING from a client that sends no password. */
function redisAnswerWithoutPassword(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port }, () => socket.write('PING\r\n'));
    socket.setTimeout(3_000, () => socket.destroy(new Error('no answer')));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().trim());
    });
    socket.once('error', reject);
  });
}

/** Checks what the cluster promises: neither NATS nor Redis serves a client without credentials. */
async function checkRefusesStrangers(natsPort: number, redisPort: number): Promise<void> {
  const stranger = await connectNats({ servers: `nats://${HOST}:${natsPort}`, name: 'cluster-self-check', connectTimeoutMs: 3_000 }).catch((e: Error) => e);
  if (!(stranger instanceof Error)) {
    await stranger.close();
    throw new Error(`NATS on ${HOST}:${natsPort} accepted a client without credentials`);
  }
  const answer = await redisAnswerWithoutPassword(redisPort);
  if (!answer.startsWith('-NOAUTH')) throw new Error(`Redis on ${HOST}:${redisPort} answered a client without a password: ${answer}`);
  log('checked: NATS and Redis refuse clients without credentials');
}

/** NATS and Redis: started with the secrets; an existing one only in plain mode. */
async function startBackends(secrets: LocalSecrets | undefined, ports: { nats: number; redis: number }, owned: Array<{ name: string; service: Stoppable }>): Promise<void> {
  const backends = [
    { name: 'nats-server', port: ports.nats, start: () => startNatsServer({ host: HOST, port: ports.nats, configFile: secrets?.natsConfigFile }) },
    { name: 'redis-server', port: ports.redis, start: () => startRedisServer({ host: HOST, port: ports.redis, configFile: secrets?.redisConfigFile }) },
  ];
  for (const backend of backends) {
    if (await listening(backend.port)) {
      if (secrets !== undefined) {
        throw new Error(
          `something already listens on ${HOST}:${backend.port} (not started by this script): it does not know this cluster's ` +
            `generated credentials, so the cluster cannot run secured on it. Stop it, or set RELAYLLM_INSECURE=true to use it in plain mode`,
        );
      }
      log(`plain mode: using the ${backend.name} already on ${HOST}:${backend.port}`);
      continue;
    }
    log(`starting ${backend.name} on ${HOST}:${backend.port}${secrets === undefined ? ' (plain mode: no credentials)' : ' (credentials required)'}`);
    owned.push({ name: backend.name, service: await backend.start() });
  }
  if (secrets !== undefined) await checkRefusesStrangers(ports.nats, ports.redis);
}

async function startProcesses(secrets: LocalSecrets | undefined, config: ClusterConfig): Promise<LocalClusterHandle> {
  log('starting 3 LLM workers, 2 SLM workers, 1 orchestrator (models/reference)');
  return startLocalCluster({
    natsUrl: `nats://${HOST}:${config.natsPort}`,
    redisUrl: `redis://${HOST}:${config.redisPort}`,
    security: secrets?.env,
    orchestratorPort: config.orchestratorPort,
    threads: config.threads,
    onReady: (p) => log(`${p.name} ready (pid ${p.pid})`),
    metricsPortBase: config.metricsPortBase,
  });
}

function printReady(cluster: LocalClusterHandle, secrets: LocalSecrets | undefined, base: number | undefined): void {
  process.stdout.write(`RelayLLM cluster: public gRPC API (relayllm.v1.RelayService) on ${cluster.address}\n`);
  if (secrets !== undefined) process.stdout.write(`Credentials of each role: ${secrets.dir}/<role>.env (removed when the cluster stops)\n`);
  if (base !== undefined) process.stdout.write(`/metrics: http://${HOST}:${base}/metrics (orchestrator) .. :${base + 5} (workers)\n`);
  process.stdout.write('Ctrl-C stops the cluster (and the NATS / Redis it started).\n');
}

/** The configuration, or (a ConfigError: a bad setting) exit 2 with the variable named, before anything starts. */
function configOrExit(): ClusterConfig {
  try {
    return loadClusterConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    log(error.message);
    return process.exit(EXIT.config);
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const ports = { nats: config.natsPort, redis: config.redisPort };
  const owned: Array<{ name: string; service: Stoppable }> = [];
  let secrets: LocalSecrets | undefined;
  let cluster: LocalClusterHandle | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = (why: string): Promise<void> =>
    (stopping ??= (async () => {
      log(`${why}: stopping`);
      await cluster?.stop(5_000);
      for (const { name, service } of owned.reverse()) {
        log(`stopping ${name}`);
        await service.stop();
      }
      secrets?.remove();
    })());
  process.on('SIGINT', () => void stopAll('SIGINT').then(() => process.exit(0)));
  process.on('SIGTERM', () => void stopAll('SIGTERM').then(() => process.exit(0)));

  try {
    if (config.insecure) log('WARNING insecure mode (RELAYLLM_INSECURE=true): NATS, Redis and the SLM streams run without credentials or TLS');
    else secrets = generateLocalSecrets();
    await startBackends(secrets, ports, owned);
    cluster = await startProcesses(secrets, config);
    for (const p of cluster.all()) {
      void p.exited.then(({ code, signal }) => {
        if (stopping === undefined) log(`${p.name} exited (code ${code}, signal ${signal}); last output:\n${p.output().slice(-2_000)}`);
      });
    }
    printReady(cluster, secrets, config.metricsPortBase);
  } catch (error) {
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll('start failed');
    process.exit(1);
  }
}

void main();
