import { generateTestCertificates, type TestCertificates } from '@relayllm/testing';
import { SecurityConfigError } from './security-config-error';
import { SLM_TLS_ENV as E, slmClientTlsFromEnv, slmServerCredentialsFromEnv } from './slm-tls';

describe('SLM stream TLS settings', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = generateTestCertificates();
  });
  afterAll(() => certs?.remove());

  it('are off by default on both sides', () => {
    expect(slmServerCredentialsFromEnv({})).toBeUndefined();
    expect(slmClientTlsFromEnv({})).toBeUndefined();
  });

  it('read the server certificate, the client CA and the server name', () => {
    // A real handshake is in apps/slm-worker's slm-tls spec; here: the credentials are TLS ones, not plaintext.
    const server = slmServerCredentialsFromEnv({ [E.serverCertFile]: certs.serverCert, [E.serverKeyFile]: certs.serverKey });
    expect(server?._isSecure()).toBe(true);
    const client = slmClientTlsFromEnv({ [E.clientCaFile]: certs.caCert, [E.clientServerName]: 'localhost' });
    expect(client?.credentials._isSecure()).toBe(true);
    expect(client?.channelOptions).toEqual({ 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' });
  });

  it.each([
    [() => slmServerCredentialsFromEnv({ [E.serverCertFile]: 'x.crt' }), `${E.serverCertFile} is set but ${E.serverKeyFile} is not`],
    [() => slmServerCredentialsFromEnv({ [E.serverClientCaFile]: 'ca.crt' }), 'mTLS needs server TLS'],
    [() => slmClientTlsFromEnv({ [E.clientCertFile]: 'c.crt', [E.clientKeyFile]: 'c.key' }), `${E.clientCertFile} is set but ${E.clientCaFile} is not`],
    [() => slmClientTlsFromEnv({ [E.clientServerName]: 'slm' }), `${E.clientServerName} is set but ${E.clientCaFile} is not`],
    [() => slmClientTlsFromEnv({ [E.clientCaFile]: 'ca.crt', [E.clientKeyFile]: 'c.key' }), `${E.clientKeyFile} is set but ${E.clientCertFile} is not`],
  ])('refuse a half-configured setup (%#)', (load, message) => {
    expect(load).toThrow(SecurityConfigError);
    expect(load).toThrow(message);
  });
});
