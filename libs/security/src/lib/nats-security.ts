import { SecurityConfigError } from './security-config-error';
import { checkCertKeyPair } from './tls-settings';

/** The environment variables of the NATS connection's credentials and TLS (every app). */
export const NATS_SECURITY_ENV = {
  user: 'RELAYLLM_NATS_USER',
  password: 'RELAYLLM_NATS_PASSWORD',
  token: 'RELAYLLM_NATS_TOKEN',
  tlsCaFile: 'RELAYLLM_NATS_TLS_CA_FILE',
  tlsCertFile: 'RELAYLLM_NATS_TLS_CERT_FILE',
  tlsKeyFile: 'RELAYLLM_NATS_TLS_KEY_FILE',
} as const;

/** Fields of the NATS client's ConnectionOptions (spread into `connect`). */
export interface NatsSecurityOptions {
  user?: string;
  pass?: string;
  token?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * NATS credentials (user + password, or a token) and TLS (a CA to trust the
 * server, optionally a client certificate + key), from the environment.
 * Refuses half-configured setups naming the variable: a user without a
 * password or the reverse, a token with a user, a certificate without its
 * key or the reverse, TLS files with a nats:// url that names no TLS
 * (`tls://` or a CA file turns TLS on).
 */
export function natsSecurityFromEnv(env: Env, natsUrl: string): NatsSecurityOptions {
  const E = NATS_SECURITY_ENV;
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const user = get(E.user);
  const pass = get(E.password);
  const token = get(E.token);
  if (user !== undefined && pass === undefined) throw new SecurityConfigError(`${E.user} is set but ${E.password} is not`);
  if (pass !== undefined && user === undefined) throw new SecurityConfigError(`${E.password} is set but ${E.user} is not`);
  if (token !== undefined && user !== undefined) throw new SecurityConfigError(`${E.token} and ${E.user} are both set: use one way to authenticate`);
  const files = { caFile: get(E.tlsCaFile), certFile: get(E.tlsCertFile), keyFile: get(E.tlsKeyFile) };
  checkCertKeyPair(files, { caFile: E.tlsCaFile, certFile: E.tlsCertFile, keyFile: E.tlsKeyFile });
  const tlsUrl = natsUrl.split(',').some((server) => server.trim().startsWith('tls://'));
  if (files.certFile !== undefined && files.caFile === undefined && !tlsUrl) {
    throw new SecurityConfigError(`${E.tlsCertFile} is set but neither ${E.tlsCaFile} nor a tls:// url turns TLS on`);
  }
  const result: NatsSecurityOptions = {};
  if (user !== undefined) Object.assign(result, { user, pass });
  if (token !== undefined) result.token = token;
  if (files.caFile !== undefined || files.certFile !== undefined || tlsUrl) {
    result.tls = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined));
  }
  return result;
}
