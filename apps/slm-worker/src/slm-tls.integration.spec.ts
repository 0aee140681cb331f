import { credentials, makeGenericClientConstructor, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { REFERENCE_CHAT_FORMAT, REFERENCE_COMMAND_SYNTAX, type EngineChunk } from '@relayllm/relay-core';
import { slmClientTlsFromEnv } from '@relayllm/security';
import { RemoteSlmEngine, StaticSlmWorkerDirectory } from '@relayllm/slm-remote';
import {
  generateTestCertificates,
  startAppProcess,
  startNatsServer,
  type AppProcessHandle,
  type NatsServerHandle,
  SHORT_PROMPT,
  type TestCertificates,
} from '@relayllm/testing';
import { service as healthService } from 'grpc-health-check';

/**
 * An SLM worker process serving its gRPC streams over TLS
 * (RELAYLLM_SLM_TLS_*, certificates generated with openssl), reached by
 * RemoteSlmEngine with the orchestrator's client settings (the CA and the
 * certificate's name), on the reference SLM.
 */
describe('slm-worker over TLS', () => {
  let certs: TestCertificates;
  let nats: NatsServerHandle | undefined;
  let worker: AppProcessHandle | undefined;
  let address = '';

  beforeAll(async () => {
    certs = generateTestCertificates();
    nats = await startNatsServer();
    worker = await startAppProcess({
      name: 'slm-tls',
      script: 'apps/slm-worker/bin/slm-worker.cjs',
      env: {
        RELAYLLM_NATS_URL: nats.url,
        RELAYLLM_SLM_PORT: '0',
        RELAYLLM_WORKER_ID: 'slm-tls-1',
        RELAYLLM_SLM_MAX_SEQUENCES: '1',
        RELAYLLM_SLM_THREADS: '1',
        RELAYLLM_SLM_TLS_CERT_FILE: certs.serverCert,
        RELAYLLM_SLM_TLS_KEY_FILE: certs.serverKey,
        // Plain NATS and server-only TLS (no client CA), on purpose: this spec is about the TLS handshake.
        RELAYLLM_INSECURE: 'true',
        NODE_OPTIONS: '',
      },
      readyLine: /^slm-worker ready id=(\S+) address=(\S+) /,
    });
    address = worker.ready[2] as string;
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await nats?.stop();
    certs?.remove();
  });

  const health = (creds: ChannelCredentials, options: Record<string, string> = {}) => {
    const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');
    const client = new HealthClient(address, creds, options) as unknown as {
      check(req: { service: string }, options: { deadline: number }, cb: (err: ServiceError | null, res: { status: string }) => void): void;
      close(): void;
    };
    return new Promise<string>((resolve, reject) =>
      client.check({ service: '' }, { deadline: Date.now() + 5_000 }, (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res.status);
      }),
    );
  };

  it('answers a client trusting the CA and refuses a plaintext one', async () => {
    const tls = slmClientTlsFromEnv({ RELAYLLM_SLM_TLS_CA_FILE: certs.caCert, RELAYLLM_SLM_TLS_SERVER_NAME: 'localhost' });
    expect(tls).toBeDefined();
    await expect(health(tls?.credentials as ChannelCredentials, tls?.channelOptions as Record<string, string>)).resolves.toBe('SERVING');
    await expect(health(credentials.createInsecure())).rejects.toMatchObject({ code: 14 }); // UNAVAILABLE
  });

  it('serves a generate to RemoteSlmEngine configured with the orchestrator TLS settings', async () => {
    const tls = slmClientTlsFromEnv({ RELAYLLM_SLM_TLS_CA_FILE: certs.caCert, RELAYLLM_SLM_TLS_SERVER_NAME: 'localhost' });
    const remote = new RemoteSlmEngine({
      directory: new StaticSlmWorkerDirectory([{ workerId: 'slm-tls-1', address, maxSequences: 1, activeSequences: 0 }]),
      commandSyntax: () => REFERENCE_COMMAND_SYNTAX,
      credentials: tls?.credentials,
      channelOptions: tls?.channelOptions,
    });
    const framed = REFERENCE_CHAT_FORMAT.frame(SHORT_PROMPT);
    const chunks: EngineChunk[] = [];
    try {
      const request = {
        sequenceId: 'tls-1/slm',
        turn: 0,
        context: { text: framed.text, tokens: framed.tokens },
        appendOnly: false,
        maxTokens: 4,
        sampling: { temperature: 0 },
        stopTokens: [],
        stop: [],
        bannedTokens: [],
      };
      for await (const chunk of remote.generate(request, new AbortController().signal)) chunks.push(chunk);
      remote.release('tls-1');
    } finally {
      await remote.close();
    }
    expect(chunks.flatMap((c) => c.tokens).length).toBeGreaterThan(0);
  });
});
