import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import {
  credentials,
  Metadata,
  status as GrpcStatus,
  type ChannelCredentials,
  type ServiceError,
} from '@grpc/grpc-js';
import { createRelayClient, type RelayClient } from '@relayllm/grpc-api';
import { generateTestCertificates, healthCheckClient, repoRoot, type TestCertificates } from '@relayllm/testing';
import { ConfigError, loadConfig, loadSecurityConfig } from './app/config';
import { bootOrchestrator } from './testing/boot-orchestrator';
import { ScriptedBackends } from './testing/scripted-backends.fake';

/** The orchestrator's public API security, over its real gRPC API (scripted backends). */

const ALICE = 'alice-0123456789abcdef';
const BOB = 'bob-fedcba9876543210xyz';

interface Booted {
  app: INestApplicationContext;
  port: number;
  backends: ScriptedBackends;
}

async function boot(env: Record<string, string>, backends: ScriptedBackends): Promise<Booted> {
  const config = loadConfig({ RELAYLLM_ORCHESTRATOR_PORT: '0', RELAYLLM_REDIS_URL: 'off' });
  const { app, port } = await bootOrchestrator(config, backends, loadSecurityConfig(env, config.natsUrl).api);
  return { app, port, backends };
}

/** One relay per generation: SLM 'a<call>2</call>', LLM 'XY' (2 LLM tokens), SLM 'b</s>'. */
const relays = (n: number) =>
  new ScriptedBackends(
    Array.from({ length: n }, () => ['a<call>2</call>', 'b</s>']).flat(),
    Array.from({ length: n }, () => 'XY'),
  );

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ code: GrpcStatus.OK, reason: undefined }),
    (error: ServiceError) => ({ code: error.code, reason: error.metadata?.get('relayllm-error-reason')[0] }),
  );

function withKey(key: string, header: 'authorization' | 'x-api-key' = 'authorization'): Metadata {
  const metadata = new Metadata();
  metadata.set(header, header === 'authorization' ? `Bearer ${key}` : key);
  return metadata;
}

const REQUEST = { prompt: 'Q', maxTokens: 40, temperature: 0 };

describe('orchestrator security', () => {
  let certs: TestCertificates;
  let booted: Booted | undefined;
  const clients: RelayClient[] = [];
  const client = (creds?: ChannelCredentials, host = 'localhost') => {
    const c = createRelayClient(`${host}:${booted?.port}`, { credentials: creds });
    clients.push(c);
    return c;
  };
  const tlsEnv = () => ({ RELAYLLM_API_TLS_CERT_FILE: certs.serverCert, RELAYLLM_API_TLS_KEY_FILE: certs.serverKey });
  const trusting = () => credentials.createSsl(certs.read(certs.caCert));

  beforeAll(() => {
    certs = generateTestCertificates();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await booted?.app.close();
    booted = undefined;
  });
  afterAll(() => certs?.remove());

  it('TLS: a client trusting the CA completes the handshake and a generation; plaintext and untrusting clients do not', async () => {
    booted = await boot(tlsEnv(), relays(1));
    expect((await client(trusting()).generate({ ...REQUEST, requestId: 't1' })).text).toBe('aXYb');
    const plaintext = await failure(client().generate({ ...REQUEST, requestId: 't2' }, { timeoutMs: 5_000 }));
    expect(plaintext.code).not.toBe(GrpcStatus.OK);
    const untrusting = await failure(client(credentials.createSsl()).generate({ ...REQUEST, requestId: 't3' }, { timeoutMs: 5_000 }));
    expect(untrusting.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(booted.backends.slm.requests).toHaveLength(2); // only t1 ran
  });

  it('mTLS: a client without a certificate is refused, one with a certificate signed by the client CA is served', async () => {
    booted = await boot({ ...tlsEnv(), RELAYLLM_API_TLS_CLIENT_CA_FILE: certs.caCert, RELAYLLM_API_TLS_CLIENT_AUTH: 'require' }, relays(1));
    const anonymous = await failure(client(trusting()).generate({ ...REQUEST, requestId: 'm1' }, { timeoutMs: 5_000 }));
    expect(anonymous.code).toBe(GrpcStatus.UNAVAILABLE);
    const mutual = credentials.createSsl(certs.read(certs.caCert), certs.read(certs.clientKey), certs.read(certs.clientCert));
    expect((await client(mutual).generate({ ...REQUEST, requestId: 'm2' })).text).toBe('aXYb');
  });

  it('API keys: missing or wrong key → UNAUTHENTICATED with a reason, before anything runs; an accepted key is served; health stays open', async () => {
    booted = await boot({ RELAYLLM_API_KEYS: `alice:${ALICE},bob:${BOB}` }, relays(2));
    const api = client(undefined, '127.0.0.1');
    expect(await failure(api.generate({ ...REQUEST, requestId: 'k1' }))).toEqual({ code: GrpcStatus.UNAUTHENTICATED, reason: 'API_KEY_MISSING' });
    expect(await failure(api.generate({ ...REQUEST, requestId: 'k2' }, { metadata: withKey(`${ALICE}x`) }))).toEqual({
      code: GrpcStatus.UNAUTHENTICATED,
      reason: 'API_KEY_INVALID',
    });
    const streamed = async () => {
      for await (const event of api.generateStream({ ...REQUEST, requestId: 'k3' }, { metadata: withKey('nope') })) void event;
    };
    expect(await failure(streamed())).toEqual({
      code: GrpcStatus.UNAUTHENTICATED,
      reason: 'API_KEY_INVALID',
    });
    expect(booted.backends.slm.requests).toHaveLength(0);
    expect((await api.generate({ ...REQUEST, requestId: 'k4' }, { metadata: withKey(ALICE) })).text).toBe('aXYb');
    expect((await api.generate({ ...REQUEST, requestId: 'k5' }, { metadata: withKey(BOB, 'x-api-key') })).text).toBe('aXYb');

    const health = healthCheckClient(`127.0.0.1:${booted.port}`);
    try {
      await expect(health.check('')).resolves.toBe('SERVING');
    } finally {
      health.close();
    }
  });

  it('quota: a key past its LLM tokens per minute gets RESOURCE_EXHAUSTED; another key is still served', async () => {
    booted = await boot({ RELAYLLM_API_KEYS: `alice:${ALICE},bob:${BOB}`, RELAYLLM_QUOTA_LLM_TOKENS_PER_MINUTE: '1' }, relays(2));
    const api = client(undefined, '127.0.0.1');
    // The bucket holds 1 token: the first generation is admitted and charged its 2 LLM tokens.
    expect((await api.generate({ ...REQUEST, requestId: 'q1' }, { metadata: withKey(ALICE) })).usage?.llmTokens).toBe(2);
    expect(await failure(api.generate({ ...REQUEST, requestId: 'q2' }, { metadata: withKey(ALICE) }))).toEqual({
      code: GrpcStatus.RESOURCE_EXHAUSTED,
      reason: 'LLM_TOKEN_QUOTA_EXCEEDED',
    });
    expect((await api.generate({ ...REQUEST, requestId: 'q3' }, { metadata: withKey(BOB) })).text).toBe('aXYb');
    expect(booted.backends.slm.requests).toHaveLength(4); // q1 and q3 only
  });

  it('a half-configured setup is a ConfigError naming the variable', () => {
    expect(() => loadSecurityConfig({ RELAYLLM_API_TLS_CERT_FILE: certs.serverCert })).toThrow(ConfigError);
    expect(() => loadSecurityConfig({ RELAYLLM_API_TLS_CERT_FILE: certs.serverCert })).toThrow('RELAYLLM_API_TLS_KEY_FILE');
    expect(() => loadSecurityConfig({ ...tlsEnv(), RELAYLLM_API_TLS_CLIENT_AUTH: 'require' })).toThrow('RELAYLLM_API_TLS_CLIENT_CA_FILE');
    expect(() => loadSecurityConfig({ RELAYLLM_NATS_USER: 'relay' })).toThrow('RELAYLLM_NATS_PASSWORD');
    expect(() => loadSecurityConfig({ RELAYLLM_SLM_TLS_SERVER_NAME: 'relayllm-slm-worker' })).toThrow('RELAYLLM_SLM_TLS_CA_FILE');
  });

  it('the orchestrator process refuses to start on a certificate without its key, naming the setting', () => {
    const keys = join(certs.dir, 'unused-keys');
    writeFileSync(keys, `alice:${ALICE}\n`);
    const run = spawnSync(process.execPath, [join(repoRoot, 'apps/orchestrator/bin/orchestrator.cjs')], {
      env: { ...process.env, NODE_OPTIONS: '', RELAYLLM_API_TLS_CERT_FILE: certs.serverCert, RELAYLLM_API_KEYS_FILE: keys },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2); // a configuration refused at start (app-kit's EXIT.config)
    expect(run.stdout).not.toContain('orchestrator ready');
    expect(run.stderr).toContain('RELAYLLM_API_TLS_CERT_FILE is set but RELAYLLM_API_TLS_KEY_FILE is not');
  });
});
