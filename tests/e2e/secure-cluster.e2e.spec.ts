/**
 * End to end, secured as `npm run cluster` runs: generated NATS users, Redis
 * password and SLM mTLS (libs/security generateLocalSecrets). An impostor
 * SLM worker, announced through heartbeats published with the real SLM
 * worker's NATS credentials (a stolen heartbeat path), is dialled by the
 * orchestrator but never completes a TLS handshake, so it never sees a
 * prompt; every generation is served by the real worker.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { NatsConnection } from '@nats-io/nats-core';
import { createRelayClient, type RelayClient } from '@relayllm/grpc-api';
import { connectNats, decodeProto, encodeProto, WORKER_HEARTBEAT_SUBJECT } from '@relayllm/nats-transport';
import { WorkerHeartbeat, WorkerKind } from '@relayllm/proto';
import { generateLocalSecrets, NATS_ROLE_USERS, SLM_WORKER_TLS_NAME, type LocalSecrets, type NatsRole } from '@relayllm/security';
import { startLocalCluster, startLocalServices, type LocalClusterHandle, type LocalServicesHandle } from '@relayllm/testing';
import { untilServing } from './cluster-probes';
import { clusterOutcomes } from './outcomes';
import { referencePrompts } from './prompts';

jest.setTimeout(240_000);

/** What reached the impostor: TCP connections, completed TLS handshakes, decrypted bytes (a prompt would be some). */
interface ImpostorSight {
  connections: number;
  handshakes: number;
  bytes: number;
}

/**
 * A server with a self-signed certificate that even claims the workers' name.
 * It speaks TLS to a client that starts a handshake, and reads a client that
 * speaks plain gRPC as it comes: either way it counts what it could read.
 */
async function startImpostor(dir: string): Promise<{ server: Server; port: number; sight: ImpostorSight }> {
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'impostor.key', '-out', 'impostor.crt'];
  execFileSync('openssl', [...args, '-subj', `/CN=${SLM_WORKER_TLS_NAME}`, '-addext', `subjectAltName=DNS:${SLM_WORKER_TLS_NAME}`, '-days', '1'], { cwd: dir, stdio: 'ignore' });
  const secureContext = createSecureContext({ cert: readFileSync(join(dir, 'impostor.crt')), key: readFileSync(join(dir, 'impostor.key')) });
  const sight: ImpostorSight = { connections: 0, handshakes: 0, bytes: 0 };
  const server = createServer((socket) => {
    sight.connections += 1;
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      const TLS_HANDSHAKE_RECORD = 0x16;
      if (first[0] !== TLS_HANDSHAKE_RECORD) {
        sight.bytes += first.length;
        socket.on('data', (data: Buffer) => (sight.bytes += data.length));
        return;
      }
      socket.unshift(first);
      const tls = new TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['h2'] });
      tls.on('secure', () => (sight.handshakes += 1));
      tls.on('data', (data: Buffer) => (sight.bytes += data.length));
      tls.on('error', () => undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0, sight };
}

describe('secured cluster: only real workers are workers', () => {
  let services: LocalServicesHandle | undefined;
  let cluster: LocalClusterHandle | undefined;
  let client: RelayClient | undefined;
  const connections: NatsConnection[] = [];
  const timers: NodeJS.Timeout[] = [];

  const connectAs = async (role: NatsRole): Promise<NatsConnection> => {
    const auth = { user: NATS_ROLE_USERS[role], pass: (services?.secrets as LocalSecrets).natsPasswords[role] };
    const nc = await connectNats({ servers: (services as LocalServicesHandle).nats.url, name: `spec-${role}`, auth });
    connections.push(nc);
    return nc;
  };
  /** One heartbeat of the real SLM worker, read with the orchestrator's credentials. */
  const realSlmHeartbeat = async (): Promise<WorkerHeartbeat> => {
    const nc = await connectAs('orchestrator');
    for await (const msg of nc.subscribe(WORKER_HEARTBEAT_SUBJECT)) {
      const heartbeat = decodeProto(WorkerHeartbeat, msg.data, 'heartbeat');
      if (heartbeat.kind === WorkerKind.WORKER_KIND_SLM && !heartbeat.leaving) return heartbeat;
    }
    throw new Error('no SLM heartbeat');
  };

  beforeAll(async () => {
    services = await startLocalServices({ secrets: generateLocalSecrets({ validDays: 1 }) });
    cluster = await startLocalCluster({
      ...services.connection,
      slmWorkers: 1,
      llmWorkers: 1,
      slmSequences: 2,
      llmSequences: 2,
    });
    client = createRelayClient(cluster.address);
    await untilServing(client, 'Hi', 60_000);
  });
  afterAll(async () => {
    timers.forEach(clearInterval);
    client?.close();
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await cluster?.stop(5_000);
    await services?.stop();
  });

  it('(c) an impostor announced with the stolen SLM credentials is dialled, fails the handshake, and sees no prompt', async () => {
    const impostor = await startImpostor((services?.secrets as LocalSecrets).dir);
    try {
      const real = await realSlmHeartbeat();
      const thief = await connectAs('slm-worker');
      const forged = (): WorkerHeartbeat =>
        WorkerHeartbeat.fromPartial({ ...real, workerId: 'impostor', address: `127.0.0.1:${impostor.port}`, maxSequences: 16, activeSequences: 0, sentAtMs: Date.now() });
      thief.publish(WORKER_HEARTBEAT_SUBJECT, encodeProto(WorkerHeartbeat, forged()));
      timers.push(setInterval(() => thief.publish(WORKER_HEARTBEAT_SUBJECT, encodeProto(WorkerHeartbeat, forged())), 300));
      await new Promise((r) => setTimeout(r, 1_000));
      const outcomes = await clusterOutcomes(client as RelayClient, referencePrompts(12), 'impostor', undefined, 4, 24);
      expect(outcomes).toHaveLength(12);
      // The forged heartbeat was believed (the orchestrator dialled the address)...
      expect(impostor.sight.connections).toBeGreaterThan(0);
      // ...but the channel proved it is no worker: no handshake completed, not one byte of a prompt arrived.
      expect(impostor.sight).toMatchObject({ handshakes: 0, bytes: 0 });
    } finally {
      impostor.server.close();
    }
  });

  it('every process of the secured cluster runs without a plain-mode warning', () => {
    for (const p of (cluster as LocalClusterHandle).all()) expect({ name: p.name, warned: p.output().includes('WARNING insecure mode') }).toEqual({ name: p.name, warned: false });
  });
});
