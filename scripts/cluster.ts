/**
 * `npm run cluster`: a local distributed deployment on the reference models.
 *  - NATS on 127.0.0.1:4222 and Redis on 127.0.0.1:6379 are used when they
 *    listen, started (and later stopped) by this script when they do not;
 *  - then 3 LLM workers, 2 SLM workers and 1 orchestrator, each its own
 *    process (libs/testing startLocalCluster, the same launcher the e2e tests
 *    use); prints where the public gRPC API listens;
 *  - Ctrl-C (SIGINT) / SIGTERM stops everything it started, and nothing else.
 * Options (environment): RELAYLLM_ORCHESTRATOR_PORT (default 50051),
 * RELAYLLM_CLUSTER_THREADS (llama.cpp threads per worker, default 1),
 * RELAYLLM_CLUSTER_METRICS_PORT (/metrics of the orchestrator on
 * this port, the 3 LLM workers and 2 SLM workers on the next five; default
 * none), and the OTEL_* variables (passed to every process: traces).
 */
import {
  startLocalCluster,
  startNatsServer,
  startRedisServer,
  waitForPort,
  type LocalClusterHandle,
} from '@relayllm/testing';

const HOST = '127.0.0.1';
const NATS_PORT = 4222;
const REDIS_PORT = 6379;

const log = (line: string): void => void process.stderr.write(`[cluster] ${line}\n`);

async function listening(port: number): Promise<boolean> {
  try {
    await waitForPort(port, HOST, 300);
    return true;
  } catch {
    return false;
  }
}

function metricsPortBase(): number | undefined {
  const raw = process.env['RELAYLLM_CLUSTER_METRICS_PORT'];
  const port = Number(raw);
  return raw !== undefined && raw !== '' && Number.isInteger(port) && port > 0 && port < 65_530 ? port : undefined;
}

interface Stoppable {
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const owned: Array<{ name: string; service: Stoppable }> = [];
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
    })());
  process.on('SIGINT', () => void stopAll('SIGINT').then(() => process.exit(0)));
  process.on('SIGTERM', () => void stopAll('SIGTERM').then(() => process.exit(0)));

  try {
    if (await listening(NATS_PORT)) log(`using the NATS already on ${HOST}:${NATS_PORT}`);
    else {
      log(`starting nats-server on ${HOST}:${NATS_PORT}`);
      owned.push({ name: 'nats-server', service: await startNatsServer({ host: HOST, port: NATS_PORT }) });
    }
    if (await listening(REDIS_PORT)) log(`using the Redis already on ${HOST}:${REDIS_PORT}`);
    else {
      log(`starting redis-server on ${HOST}:${REDIS_PORT}`);
      owned.push({ name: 'redis-server', service: await startRedisServer({ host: HOST, port: REDIS_PORT }) });
    }
    log('starting 3 LLM workers, 2 SLM workers, 1 orchestrator (models/reference)');
    const threads = Number(process.env['RELAYLLM_CLUSTER_THREADS'] ?? '1');
    cluster = await startLocalCluster({
      natsUrl: `nats://${HOST}:${NATS_PORT}`,
      redisUrl: `redis://${HOST}:${REDIS_PORT}`,
      orchestratorPort: Number(process.env['RELAYLLM_ORCHESTRATOR_PORT'] ?? '50051'),
      threads: Number.isInteger(threads) && threads > 0 ? threads : 1,
      onReady: (p) => log(`${p.name} ready (pid ${p.pid})`),
      metricsPortBase: metricsPortBase(),
    });
    for (const p of cluster.all()) {
      void p.exited.then(({ code, signal }) => {
        if (stopping === undefined) log(`${p.name} exited (code ${code}, signal ${signal}); last output:\n${p.output().slice(-2_000)}`);
      });
    }
    process.stdout.write(`RelayLLM cluster: public gRPC API (relayllm.v1.RelayService) on ${cluster.address}\n`);
    const base = metricsPortBase();
    if (base !== undefined) process.stdout.write(`/metrics: http://${HOST}:${base}/metrics (orchestrator) .. :${base + 5} (workers)\n`);
    process.stdout.write('Ctrl-C stops the cluster (and the NATS / Redis it started).\n');
  } catch (error) {
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll('start failed');
    process.exit(1);
  }
}

void main();
