import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats } from '@relayllm/nats-transport';
import { generateTestCertificates, startNatsServer, type NatsServerHandle, type TestCertificates } from '@relayllm/testing';
import { NATS_SECURITY_ENV as E, natsSecurityFromEnv } from './lib/nats-security';

/** The NATS settings every app reads, against real nats-servers requiring a password, a token, TLS. */
describe('NATS credentials and TLS against a real nats-server', () => {
  let certs: TestCertificates;
  const servers: NatsServerHandle[] = [];
  const connections: NatsConnection[] = [];

  const connect = async (url: string, env: Record<string, string>): Promise<NatsConnection> => {
    const nc = await connectNats({ servers: url, name: 'security-spec', connectTimeoutMs: 3_000, auth: natsSecurityFromEnv(env, url) });
    connections.push(nc);
    return nc;
  };
  const roundTrip = async (nc: NatsConnection): Promise<string> => {
    const sub = nc.subscribe('echo', { max: 1, callback: (_error, msg) => void msg.respond(msg.data) });
    try {
      return (await nc.request('echo', 'ping', { timeout: 3_000 })).string();
    } finally {
      sub.unsubscribe();
    }
  };
  const start = async (args: string[]): Promise<NatsServerHandle> => {
    const server = await startNatsServer({ args });
    servers.push(server);
    return server;
  };

  beforeAll(() => {
    certs = generateTestCertificates();
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await Promise.all(servers.map((s) => s.stop()));
    certs?.remove();
  });

  it('user/password: the configured credentials connect, none or wrong ones are refused', async () => {
    const server = await start(['--user', 'relay', '--pass', 's3cret-pass']);
    expect(await roundTrip(await connect(server.url, { [E.user]: 'relay', [E.password]: 's3cret-pass' }))).toBe('ping');
    await expect(connect(server.url, {})).rejects.toThrow();
    await expect(connect(server.url, { [E.user]: 'relay', [E.password]: 'wrong' })).rejects.toThrow();
  });

  it('token: the configured token connects, a wrong one is refused', async () => {
    const server = await start(['--auth', 'tok-0123456789']);
    expect(await roundTrip(await connect(server.url, { [E.token]: 'tok-0123456789' }))).toBe('ping');
    await expect(connect(server.url, { [E.token]: 'nope' })).rejects.toThrow();
  });

  it('TLS: a client trusting the CA connects over TLS; one not trusting it is refused', async () => {
    const server = await start(['--tls', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey]);
    expect(await roundTrip(await connect(server.url, { [E.tlsCaFile]: certs.caCert }))).toBe('ping');
    await expect(connect(`tls://127.0.0.1:${server.port}`, {})).rejects.toThrow();
  });
});
