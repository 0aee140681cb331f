import type { NatsConnection } from '@nats-io/nats-core';
import { freePort, startNatsServer, type NatsServerHandle } from '@relayllm/testing';
import { connectNats } from './index';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A frozen server (SIGSTOP) outlasting the connect timeout, with a password
 * as every deployment has: the client's reconnect attempts time out while it
 * is frozen. @nats-io/transport-node before 3.2.0 left each timed-out socket
 * open; once the server resumed and closed it (login timeout) the client took
 * that for its live link dropping and connected again, without closing the
 * live one: from then on every message of a plain subscription arrived twice
 * (an LLM worker got each relay call twice and refused the copy). This pins
 * the client version that closes its abandoned sockets.
 */
describe('connectNats after a frozen server with a password resumes (real nats-server)', () => {
  let server: NatsServerHandle | undefined;
  const connections: NatsConnection[] = [];
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await server?.stop();
  });

  /** The server's own count of client connections (monitoring endpoint /connz). */
  const serverConnectionCount = async (monitorPort: number): Promise<number> => {
    const response = await fetch(`http://127.0.0.1:${monitorPort}/connz`, { signal: AbortSignal.timeout(5_000) });
    return ((await response.json()) as { num_connections: number }).num_connections;
  };

  it('each message of a plain subscription is delivered once, and each client keeps one link', async () => {
    const monitorPort = await freePort();
    server = await startNatsServer({ args: ['--user', 'frozen-test', '--pass', 'frozen-test-pass', '-m', String(monitorPort)] });
    const connectOnce = async (name: string): Promise<NatsConnection> => {
      const nc = await connectNats({ servers: server?.url as string, name, connectTimeoutMs: 1_000, auth: { user: 'frozen-test', pass: 'frozen-test-pass' } });
      connections.push(nc);
      return nc;
    };
    const receiver = await connectOnce('receiver');
    const sender = await connectOnce('sender');
    let delivered = 0;
    receiver.subscribe('frozen.test', { callback: () => void delivered++ });
    await receiver.flush();
    let reconnects = 0;
    void (async () => {
      for await (const status of receiver.status()) if (status.type === 'reconnect') reconnects++;
    })();

    process.kill(server.pid as number, 'SIGSTOP');
    await sleep(6_000); // pings notice the freeze in 2-3 s, then reconnect attempts time out after 1 s each
    process.kill(server.pid as number, 'SIGCONT');
    await sleep(4_000); // past the server's 2 s login timeout on the abandoned sockets

    delivered = 0;
    for (let i = 0; i < 5; i++) sender.publish('frozen.test', `m${i}`);
    await sender.flush();
    await receiver.flush();
    await sleep(300);
    expect(delivered).toBe(5);
    // The freeze must have been noticed, or nothing above was exercised. How
    // many reconnects it took depends on timing (a loaded machine may need
    // two); what must hold is that the server ends with one link per client.
    expect(reconnects).toBeGreaterThanOrEqual(1);
    expect(await serverConnectionCount(monitorPort)).toBe(2);
  }, 30_000);
});
