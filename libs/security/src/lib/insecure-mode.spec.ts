import { INSECURE_ENV, INSECURE_WARNING_PREFIX, PlainModePolicy } from './insecure-mode';
import { NATS_SECURITY_ENV } from './nats-security';
import { natsChannelWarning, redisChannelWarning, slmClientChannelWarning, slmServerChannelWarning } from './secure-channels';
import { SecurityConfigError } from './security-config-error';
import { SLM_TLS_ENV as S } from './slm-tls';

const strict = PlainModePolicy.fromEnv({});
const plain = PlainModePolicy.fromEnv({ [INSECURE_ENV.all]: 'true' });
const redis = (url: string, password = '') => ({ url, password, passwordEnv: 'RELAYLLM_REDIS_PASSWORD' });

describe('PlainModePolicy', () => {
  it('allows no channel by default, every channel with RELAYLLM_INSECURE, one channel with its own setting', () => {
    expect(['nats', 'redis', 'slm'].map((c) => strict.allows(c as 'nats'))).toEqual([false, false, false]);
    expect(['nats', 'redis', 'slm'].map((c) => plain.allows(c as 'nats'))).toEqual([true, true, true]);
    const natsOnly = PlainModePolicy.fromEnv({ [INSECURE_ENV.nats]: 'yes', [INSECURE_ENV.all]: 'false' });
    expect([natsOnly.allows('nats'), natsOnly.allows('redis'), natsOnly.allows('slm')]).toEqual([true, false, false]);
  });

  it('refuses a value that is not a boolean, naming the variable', () => {
    expect(() => PlainModePolicy.fromEnv({ [INSECURE_ENV.redis]: 'maybe' })).toThrow(SecurityConfigError);
    expect(() => PlainModePolicy.fromEnv({ [INSECURE_ENV.redis]: 'maybe' })).toThrow(/RELAYLLM_REDIS_INSECURE must be true or false, got "maybe"/);
  });

  it('a plain channel is refused naming the missing setting and the insecure switch; allowed, it is one warning line', () => {
    expect(() => strict.plain('nats', 'RELAYLLM_NATS_USER')).toThrow(/^RELAYLLM_NATS_USER not set: .*RELAYLLM_NATS_INSECURE=true \(or RELAYLLM_INSECURE=true\)/);
    const line = plain.plain('nats', 'RELAYLLM_NATS_USER');
    expect(line.startsWith(INSECURE_WARNING_PREFIX)).toBe(true);
    expect(line).toContain('RELAYLLM_INSECURE=true');
    expect(line).not.toContain('\n');
  });
});

describe('channel checks', () => {
  it('NATS: a user, a token or a client certificate is enough; nothing is refused', () => {
    expect(natsChannelWarning({ user: 'u', pass: 'p' }, strict)).toBeUndefined();
    expect(natsChannelWarning({ token: 't' }, strict)).toBeUndefined();
    expect(natsChannelWarning({ tls: { caFile: 'ca', certFile: 'c', keyFile: 'k' } }, strict)).toBeUndefined();
    // TLS that only checks the server proves nothing about the client.
    expect(() => natsChannelWarning({ tls: { caFile: 'ca' } }, strict)).toThrow(`${NATS_SECURITY_ENV.user} + ${NATS_SECURITY_ENV.password}`);
    expect(natsChannelWarning({}, plain)).toContain('NATS without credentials');
  });

  it('Redis: a password (setting or url) is enough, `off` needs none; nothing is refused', () => {
    expect(redisChannelWarning(redis('redis://r:6379', 'pw'), strict)).toBeUndefined();
    expect(redisChannelWarning(redis('redis://:pw@r:6379'), strict)).toBeUndefined();
    expect(redisChannelWarning(redis('off'), strict)).toBeUndefined();
    expect(() => redisChannelWarning(redis('redis://user@r:6379'), strict)).toThrow(/^RELAYLLM_REDIS_PASSWORD not set/);
    expect(redisChannelWarning(redis('redis://r:6379'), plain)).toContain('Redis without a password');
  });

  it('SLM worker: needs its certificate and the client CA (mTLS)', () => {
    const tls = { [S.serverCertFile]: 'c', [S.serverKeyFile]: 'k' };
    expect(slmServerChannelWarning({ ...tls, [S.serverClientCaFile]: 'ca' }, strict)).toBeUndefined();
    expect(() => slmServerChannelWarning(tls, strict)).toThrow(/^RELAYLLM_SLM_TLS_CLIENT_CA_FILE not set/);
    expect(() => slmServerChannelWarning({}, strict)).toThrow(/^RELAYLLM_SLM_TLS_CERT_FILE \+ RELAYLLM_SLM_TLS_KEY_FILE/);
    expect(slmServerChannelWarning({}, PlainModePolicy.fromEnv({ [INSECURE_ENV.slm]: '1' }))).toContain('(RELAYLLM_SLM_INSECURE=true;');
  });

  it("orchestrator: needs the workers' CA and its client certificate", () => {
    expect(slmClientChannelWarning({ [S.clientCaFile]: 'ca', [S.clientCertFile]: 'c', [S.clientKeyFile]: 'k' }, strict)).toBeUndefined();
    expect(() => slmClientChannelWarning({ [S.clientCaFile]: 'ca' }, strict)).toThrow(/^RELAYLLM_SLM_TLS_CLIENT_CERT_FILE/);
    expect(() => slmClientChannelWarning({}, strict)).toThrow(/^RELAYLLM_SLM_TLS_CA_FILE/);
  });
});
