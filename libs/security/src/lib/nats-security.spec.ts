import { NATS_SECURITY_ENV as E, natsSecurityFromEnv } from './nats-security';
import { SecurityConfigError } from './security-config-error';

describe('natsSecurityFromEnv', () => {
  const url = 'nats://nats:4222';

  it('is empty by default', () => {
    expect(natsSecurityFromEnv({}, url)).toEqual({});
  });

  it('passes user/password, a token and TLS files to the client', () => {
    expect(natsSecurityFromEnv({ [E.user]: 'relay', [E.password]: 'pw' }, url)).toEqual({ user: 'relay', pass: 'pw' });
    expect(natsSecurityFromEnv({ [E.token]: 't0k' }, url)).toEqual({ token: 't0k' });
    expect(natsSecurityFromEnv({ [E.tlsCaFile]: '/ca.crt', [E.tlsCertFile]: '/c.crt', [E.tlsKeyFile]: '/c.key' }, url)).toEqual({
      tls: { caFile: '/ca.crt', certFile: '/c.crt', keyFile: '/c.key' },
    });
    expect(natsSecurityFromEnv({}, 'tls://nats:4222')).toEqual({ tls: {} });
  });

  it.each([
    [{ [E.user]: 'u' }, `${E.user} is set but ${E.password} is not`],
    [{ [E.password]: 'p' }, `${E.password} is set but ${E.user} is not`],
    [{ [E.token]: 't', [E.user]: 'u', [E.password]: 'p' }, 'both set'],
    [{ [E.tlsCertFile]: '/c.crt', [E.tlsCaFile]: '/ca.crt' }, `${E.tlsCertFile} is set but ${E.tlsKeyFile} is not`],
    [{ [E.tlsCertFile]: '/c.crt', [E.tlsKeyFile]: '/c.key' }, 'turns TLS on'],
  ])('refuses a half-configured setup %j', (env, message) => {
    expect(() => natsSecurityFromEnv(env, url)).toThrow(SecurityConfigError);
    expect(() => natsSecurityFromEnv(env, url)).toThrow(message);
  });
});
