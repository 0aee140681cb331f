import type { PlainModePolicy } from './insecure-mode';
import { NATS_SECURITY_ENV, type NatsSecurityOptions } from './nats-security';
import { SLM_TLS_ENV } from './slm-tls';

/**
 * What each app demands of its channels before it connects anything: a
 * channel without its protection is refused unless plain mode is explicit
 * (PlainModePolicy), and then yields the warning line to log. Each check
 * returns that line, or undefined when the channel is protected.
 */

type Env = Readonly<Record<string, string | undefined>>;

const isSet = (env: Env, name: string): boolean => (env[name]?.trim() ?? '') !== '';

/** NATS: a user + password, a token, or a client certificate (a server may map it to a user). */
export function natsChannelWarning(nats: NatsSecurityOptions, policy: PlainModePolicy): string | undefined {
  if (nats.user !== undefined || nats.token !== undefined || nats.tls?.certFile !== undefined) return undefined;
  const E = NATS_SECURITY_ENV;
  return policy.plain('nats', `${E.user} + ${E.password} (or ${E.token})`);
}

/** Redis (the orchestrator): a password, in RELAYLLM_REDIS_PASSWORD or the url; `off` (memory) needs none. */
export function redisChannelWarning(redis: { url: string; password: string; passwordEnv: string }, policy: PlainModePolicy): string | undefined {
  if (redis.url === 'off' || redis.password !== '') return undefined;
  // redis://[user]:password@host — a password in the url counts too.
  if (/^rediss?:\/\/[^@/]*:[^@/]+@/.test(redis.url)) return undefined;
  return policy.plain('redis', redis.passwordEnv);
}

/** The SLM worker's gRPC server: its certificate + key, and the CA of the clients it accepts (mTLS). */
export function slmServerChannelWarning(env: Env, policy: PlainModePolicy): string | undefined {
  const E = SLM_TLS_ENV;
  if (!isSet(env, E.serverCertFile)) return policy.plain('slm', `${E.serverCertFile} + ${E.serverKeyFile} + ${E.serverClientCaFile}`);
  if (!isSet(env, E.serverClientCaFile)) return policy.plain('slm', E.serverClientCaFile);
  return undefined;
}

/**
 * The orchestrator's streams to SLM workers: the CA the workers' certificates
 * chain to (so an address announced in a heartbeat is dialled only when the
 * worker there proves its name) and the orchestrator's client certificate.
 */
export function slmClientChannelWarning(env: Env, policy: PlainModePolicy): string | undefined {
  const E = SLM_TLS_ENV;
  if (!isSet(env, E.clientCaFile)) return policy.plain('slm', `${E.clientCaFile} + ${E.clientCertFile} + ${E.clientKeyFile}`);
  if (!isSet(env, E.clientCertFile)) return policy.plain('slm', `${E.clientCertFile} + ${E.clientKeyFile}`);
  return undefined;
}
