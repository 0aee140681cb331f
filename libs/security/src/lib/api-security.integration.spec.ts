import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTestCertificates, type TestCertificates } from '@relayllm/testing';
import { API_SECURITY_ENV as E, apiSecurityFromEnv, grpcServerSecurity, llmTokenQuota } from './api-security';
import { SecurityConfigError } from './security-config-error';

describe('apiSecurityFromEnv', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = generateTestCertificates();
  });
  afterAll(() => certs?.remove());

  const refusal = (env: Record<string, string>): string => {
    try {
      apiSecurityFromEnv(env);
    } catch (error) {
      expect(error).toBeInstanceOf(SecurityConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a SecurityConfigError');
  };

  it('is all off by default (plaintext, no keys, no quota)', () => {
    const config = apiSecurityFromEnv({});
    expect(config).toEqual({ tls: undefined, apiKeys: undefined, quotaLlmTokensPerMinute: 0 });
    expect(grpcServerSecurity(config).interceptors).toHaveLength(0);
    expect(llmTokenQuota(config)).toBeUndefined();
  });

  it('reads TLS, mTLS, keys and the quota', () => {
    const keys = join(certs.dir, 'keys');
    writeFileSync(keys, 'ci:0123456789abcdef0123\n');
    const config = apiSecurityFromEnv({
      [E.tlsCertFile]: certs.serverCert,
      [E.tlsKeyFile]: certs.serverKey,
      [E.tlsClientCaFile]: certs.caCert,
      [E.tlsClientAuth]: 'require',
      [E.apiKeysFile]: keys,
      [E.quotaLlmTokensPerMinute]: '1000',
    });
    expect(config.tls?.requireClientCert).toBe(true);
    expect(config.apiKeys?.identify('0123456789abcdef0123')).toBe('ci');
    expect(grpcServerSecurity(config).interceptors).toHaveLength(1);
    expect(llmTokenQuota(config)?.admit('ci').remaining).toBe(1000);
  });

  it('refuses every half-configured TLS setup, naming the setting', () => {
    expect(refusal({ [E.tlsCertFile]: 'x.crt' })).toContain(`${E.tlsCertFile} is set but ${E.tlsKeyFile} is not`);
    expect(refusal({ [E.tlsKeyFile]: 'x.key' })).toContain(`${E.tlsKeyFile} is set but ${E.tlsCertFile} is not`);
    expect(refusal({ [E.tlsClientCaFile]: certs.caCert, [E.tlsClientAuth]: 'require' })).toContain('mTLS needs server TLS');
    expect(refusal({ [E.tlsCertFile]: certs.serverCert, [E.tlsKeyFile]: certs.serverKey, [E.tlsClientAuth]: 'require' })).toContain(
      `${E.tlsClientAuth}=require needs ${E.tlsClientCaFile}`,
    );
    expect(refusal({ [E.tlsCertFile]: certs.serverCert, [E.tlsKeyFile]: certs.serverKey, [E.tlsClientCaFile]: certs.caCert })).toContain(
      `${E.tlsClientCaFile} is set but ${E.tlsClientAuth}`,
    );
    expect(refusal({ [E.tlsCertFile]: certs.serverCert, [E.tlsKeyFile]: join(certs.dir, 'missing.key') })).toContain(`${E.tlsKeyFile}: cannot read`);
    expect(refusal({ [E.tlsCertFile]: certs.serverCert, [E.tlsKeyFile]: certs.serverKey, [E.tlsClientAuth]: 'maybe' })).toContain(E.tlsClientAuth);
  });

  it('refuses two key sources, an unreadable key file and a bad quota', () => {
    expect(refusal({ [E.apiKeys]: 'a:0123456789abcdef', [E.apiKeysFile]: '/nope' })).toContain('both set');
    expect(refusal({ [E.apiKeysFile]: join(certs.dir, 'none') })).toContain(`${E.apiKeysFile}: cannot read`);
    expect(refusal({ [E.quotaLlmTokensPerMinute]: '-5' })).toContain(E.quotaLlmTokensPerMinute);
  });
});
