import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { K8S_DIR, yamlObjects, type JsonObject } from './manifests';

/**
 * k8s/make-secrets.sh (openssl + `kubectl create secret --dry-run=client`, no
 * cluster): the four Secrets k8s/base reads, with passwords nats-server can
 * read from its environment and certificates that make a real mutual-TLS
 * handshake under the name the orchestrators check.
 */

const secrets = new Map(
  yamlObjects(execFileSync('bash', [join(K8S_DIR, 'make-secrets.sh'), '--print'], { encoding: 'utf8', timeout: 60_000 })).map((object) => [String((object.metadata as JsonObject).name), object]),
);
const dataOf = (name: string, key: string): Buffer => Buffer.from(String((secrets.get(name)?.data as JsonObject)[key]), 'base64');

describe('k8s/make-secrets.sh', () => {
  it('prints the four Secrets of the base, in its namespace', () => {
    expect([...secrets.keys()]).toEqual(['relayllm-nats-auth', 'relayllm-redis-auth', 'relayllm-slm-tls', 'relayllm-slm-client-tls']);
    for (const secret of secrets.values()) expect((secret.metadata as JsonObject).namespace).toBe('relayllm');
  });

  it('passwords: long, random, starting with a letter (nats-server reads a leading digit as a number)', () => {
    const passwords = ['orchestrator-password', 'slm-worker-password', 'llm-worker-password']
      .map((key) => dataOf('relayllm-nats-auth', key).toString())
      .concat(dataOf('relayllm-redis-auth', 'redis-password').toString());
    for (const password of passwords) expect(password).toMatch(/^[a-z][0-9a-f]{48}$/);
    expect(new Set(passwords).size).toBe(passwords.length);
  });

  it('the certificates carry the names the deployment checks and chain to one CA', () => {
    const ca = new X509Certificate(dataOf('relayllm-slm-tls', 'ca.crt'));
    const worker = new X509Certificate(dataOf('relayllm-slm-tls', 'tls.crt'));
    const orchestrator = new X509Certificate(dataOf('relayllm-slm-client-tls', 'tls.crt'));
    expect(worker.subjectAltName).toBe('DNS:relayllm-slm-worker');
    expect(orchestrator.subjectAltName).toBe('DNS:relayllm-orchestrator');
    expect([worker.checkIssued(ca), orchestrator.checkIssued(ca)]).toEqual([true, true]);
    expect(dataOf('relayllm-slm-client-tls', 'ca.crt').equals(dataOf('relayllm-slm-tls', 'ca.crt'))).toBe(true);
  });

  it('they make a mutual-TLS handshake under the worker name, and no other', async () => {
    const ca = dataOf('relayllm-slm-tls', 'ca.crt');
    const server = createServer({
      cert: dataOf('relayllm-slm-tls', 'tls.crt'),
      key: dataOf('relayllm-slm-tls', 'tls.key'),
      ca,
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on('secureConnection', (socket: TLSSocket) => socket.end('ok'));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const handshake = (servername: string, withClientCert: boolean): Promise<string> =>
      new Promise((resolve) => {
        const client = { cert: dataOf('relayllm-slm-client-tls', 'tls.crt'), key: dataOf('relayllm-slm-client-tls', 'tls.key') };
        const socket = connect({ host: '127.0.0.1', port, ca, servername, ...(withClientCert ? client : {}) });
        socket.once('data', (data) => resolve(data.toString()));
        socket.once('error', (error) => resolve(error.message));
        socket.once('end', () => resolve('closed'));
      });
    try {
      expect(await handshake('relayllm-slm-worker', true)).toBe('ok');
      expect(await handshake('relayllm-orchestrator', true)).toMatch(/altnames/);
      expect(await handshake('relayllm-slm-worker', false)).not.toBe('ok');
    } finally {
      server.close();
    }
  });
});
