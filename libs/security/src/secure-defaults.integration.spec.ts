import { createConnection } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectNats, llmGenerateSubject, modelDescribeSubject, WORKER_HEARTBEAT_SUBJECT } from '@relayllm/nats-transport';
import { WorkerKind } from '@relayllm/proto';
import { startNatsServer, startRedisServer, type NatsServerHandle, type RedisServerHandle } from '@relayllm/testing';
import { generateLocalSecrets, type LocalSecrets } from './lib/local-secrets';
import { NATS_ROLE_USERS, type NatsRole } from './lib/nats-permissions';

/**
 * The generated local deployment secrets (what `npm run cluster` and the
 * end-to-end tests run on) against a real nats-server and redis-server: a
 * client without credentials can do nothing, each role only its own part of
 * the protocol, and Redis answers nobody without the password.
 */
describe('generated secrets against real NATS and Redis', () => {
  let secrets: LocalSecrets;
  let nats: NatsServerHandle;
  let redis: RedisServerHandle;
  const connections: NatsConnection[] = [];
  const SLM_DESCRIBE = modelDescribeSubject(WorkerKind.WORKER_KIND_SLM, 'slm', 'h1');

  const connectAs = async (role: NatsRole | 'nobody'): Promise<NatsConnection> => {
    const auth = role === 'nobody' ? {} : { user: NATS_ROLE_USERS[role], pass: secrets.natsPasswords[role] };
    const nc = await connectNats({ servers: nats.url, name: `spec-${role}`, connectTimeoutMs: 3_000, auth });
    connections.push(nc);
    return nc;
  };
  /** The permission errors the server reports to `nc` (the client keeps the connection). */
  const violations = (nc: NatsConnection): string[] => {
    const seen: string[] = [];
    void (async () => {
      for await (const status of nc.status()) if (status.type === 'error') seen.push(String((status as { error?: Error }).error?.message));
    })().catch(() => undefined);
    return seen;
  };
  /** Messages `subscriber` receives on `subject` while `publish` runs. */
  const delivered = async (subscriber: NatsConnection, subject: string, publish: () => Promise<void>): Promise<number> => {
    let count = 0;
    const sub = subscriber.subscribe(subject, {
      callback: () => {
        count += 1;
      },
    });
    await subscriber.flush();
    await publish();
    await subscriber.flush();
    await new Promise((r) => setTimeout(r, 200));
    sub.unsubscribe();
    return count;
  };
  const redisSays = (command: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = createConnection({ host: redis.host, port: redis.port }, () => socket.write(command));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().trim());
      });
      socket.once('error', reject);
    });

  beforeAll(async () => {
    secrets = generateLocalSecrets({ validDays: 1 });
    nats = await startNatsServer({ configFile: secrets.natsConfigFile });
    redis = await startRedisServer({ configFile: secrets.redisConfigFile });
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await nats?.stop();
    await redis?.stop();
    secrets?.remove();
  });

  it('(a) a client without credentials cannot connect, so can neither announce a worker nor read a subject', async () => {
    await expect(connectAs('nobody')).rejects.toThrow(/Authorization Violation/);
    const wrong = connectNats({ servers: nats.url, name: 'spec-wrong', connectTimeoutMs: 3_000, auth: { user: NATS_ROLE_USERS['slm-worker'], pass: 'guess' } });
    await expect(wrong).rejects.toThrow(/Authorization Violation/);
  });

  it("(b) the LLM worker's credentials publish no SLM subject and read no request of the other role", async () => {
    const llm = await connectAs('llm-worker');
    const orchestrator = await connectAs('orchestrator');
    const slm = await connectAs('slm-worker');
    const errors = violations(llm);
    // Published by the LLM worker, an SLM description request never reaches the SLM worker.
    expect(await delivered(slm, SLM_DESCRIBE, async () => llm.publish(SLM_DESCRIBE, 'x'))).toBe(0);
    // It cannot subscribe to the SLM workers' subjects nor to the orchestrator's replies.
    for (const subject of [SLM_DESCRIBE, '_INBOX.>']) {
      const sub = llm.subscribe(subject);
      await expect(sub.closed).resolves.toBeInstanceOf(Error);
    }
    await llm.flush();
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "relayllm\.slm\.slm\.describe\.h1"/);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Subscription to "_INBOX\.>"/);
    // The SLM worker cannot read relays either; the orchestrator's own relay still reaches the LLM worker.
    const slmSub = slm.subscribe(llmGenerateSubject('llm'));
    await expect(slmSub.closed).resolves.toBeInstanceOf(Error);
    expect(await delivered(llm, llmGenerateSubject('llm'), async () => orchestrator.publish(llmGenerateSubject('llm'), 'relay'))).toBe(1);
  });

  it('workers announce and answer; they cannot answer a request they never received', async () => {
    const orchestrator = await connectAs('orchestrator');
    const llm = await connectAs('llm-worker');
    llm.subscribe(llmGenerateSubject('llm'), { callback: (_error, msg) => ['ack', 'chunk', 'end'].forEach((part) => msg.respond(part)) });
    await llm.flush();
    const inbox = '_INBOX.spec-relay';
    expect(await delivered(orchestrator, inbox, async () => orchestrator.publish(llmGenerateSubject('llm'), 'q', { reply: inbox }))).toBe(3);
    expect(await delivered(orchestrator, '_INBOX.other-call', async () => llm.publish('_INBOX.other-call', 'forged'))).toBe(0);
    expect(await delivered(orchestrator, WORKER_HEARTBEAT_SUBJECT, async () => llm.publish(WORKER_HEARTBEAT_SUBJECT, 'hb'))).toBe(1);
    expect(await delivered(llm, llmGenerateSubject('llm'), async () => llm.publish(llmGenerateSubject('llm'), 'self'))).toBe(0);
  });

  it('(d) Redis refuses a client without the password and serves one with it', async () => {
    expect(await redisSays('PING\r\n')).toMatch(/^-NOAUTH/);
    expect(await redisSays('AUTH wrong-password\r\n')).toMatch(/^-WRONGPASS/);
    expect(await redisSays(`AUTH ${secrets.redisPassword}\r\nPING\r\n`)).toMatch(/^\+OK/);
  });

  it('keeps the secrets private: the directory is 0700, every file in it 0600', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    expect(statSync(secrets.dir).mode & 0o777).toBe(0o700);
    // Certificates are public; passwords, configs and keys are not.
    const secret = readdirSync(secrets.dir).filter((file) => !file.endsWith('.crt'));
    expect(secret.sort()).toEqual(['llm-worker.env', 'nats.conf', 'orchestrator.env', 'orchestrator.key', 'redis.conf', 'slm-worker.env', 'slm-worker.key']);
    for (const file of secret) expect({ file, mode: statSync(join(secrets.dir, file)).mode & 0o777 }).toEqual({ file, mode: 0o600 });
  });
});
