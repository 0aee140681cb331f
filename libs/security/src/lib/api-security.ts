import { readFileSync } from 'node:fs';
import { ServerCredentials, type ServerInterceptor } from '@grpc/grpc-js';
import { SystemClock, type Clock } from '@relayllm/relay-core';
import { TokenQuota } from '@relayllm/relay-cluster';
import { apiKeyInterceptor } from './api-key-interceptor';
import { ApiKeyRing } from './api-keys';
import { SecurityConfigError } from './security-config-error';
import { checkCertKeyPair, readTlsMaterial, type TlsMaterial } from './tls-settings';

/** The environment variables of the public API's security (read by the orchestrator's config.ts). */
export const API_SECURITY_ENV = {
  tlsCertFile: 'RELAYLLM_API_TLS_CERT_FILE',
  tlsKeyFile: 'RELAYLLM_API_TLS_KEY_FILE',
  tlsClientCaFile: 'RELAYLLM_API_TLS_CLIENT_CA_FILE',
  /** `none` (default) or `require` (mTLS: clients must present a certificate signed by the client CA). */
  tlsClientAuth: 'RELAYLLM_API_TLS_CLIENT_AUTH',
  /** A mounted Secret: `<id>:<secret>` per line. */
  apiKeysFile: 'RELAYLLM_API_KEYS_FILE',
  /** Same format, comma-separated (development; prefer the file). */
  apiKeys: 'RELAYLLM_API_KEYS',
  /** LLM tokens per key per minute; 0 or unset = no quota. */
  quotaLlmTokensPerMinute: 'RELAYLLM_QUOTA_LLM_TOKENS_PER_MINUTE',
} as const;

export interface ApiSecurityConfig {
  /** Undefined = plaintext (in-cluster behind a TLS-terminating proxy, or development). */
  tls?: TlsMaterial & { cert: Buffer; key: Buffer; requireClientCert: boolean };
  /** Undefined = no API keys required. */
  apiKeys?: ApiKeyRing;
  /** 0 = no quota. */
  quotaLlmTokensPerMinute: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function setting(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * Reads and checks the public API's security settings once. Refuses
 * (SecurityConfigError naming the variable) every half-configured TLS setup:
 * a certificate without its key or the reverse, a client CA or client auth
 * without a server certificate, `require` without a client CA, a client CA
 * with client auth `none`.
 */
export function apiSecurityFromEnv(env: Env): ApiSecurityConfig {
  const E = API_SECURITY_ENV;
  const files = { certFile: setting(env, E.tlsCertFile), keyFile: setting(env, E.tlsKeyFile), caFile: setting(env, E.tlsClientCaFile) };
  const names = { certFile: E.tlsCertFile, keyFile: E.tlsKeyFile, caFile: E.tlsClientCaFile };
  const clientAuth = setting(env, E.tlsClientAuth) ?? 'none';
  if (clientAuth !== 'none' && clientAuth !== 'require') {
    throw new SecurityConfigError(`${E.tlsClientAuth}: must be "none" or "require", got "${clientAuth}"`);
  }
  checkCertKeyPair(files, names);
  if (files.certFile === undefined && (files.caFile !== undefined || clientAuth === 'require')) {
    throw new SecurityConfigError(`${files.caFile !== undefined ? E.tlsClientCaFile : E.tlsClientAuth} is set but ${E.tlsCertFile} is not: mTLS needs server TLS`);
  }
  if (clientAuth === 'require' && files.caFile === undefined) {
    throw new SecurityConfigError(`${E.tlsClientAuth}=require needs ${E.tlsClientCaFile} (the CA that signs client certificates)`);
  }
  if (clientAuth === 'none' && files.caFile !== undefined) {
    throw new SecurityConfigError(`${E.tlsClientCaFile} is set but ${E.tlsClientAuth} is not "require": set it, or unset the CA`);
  }
  let tls: ApiSecurityConfig['tls'];
  if (files.certFile !== undefined) {
    const material = readTlsMaterial(files, names);
    if (material.cert === undefined || material.key === undefined) throw new SecurityConfigError(`${E.tlsCertFile}: unreadable`);
    tls = { ...material, cert: material.cert, key: material.key, requireClientCert: clientAuth === 'require' };
  }

  const keysFile = setting(env, E.apiKeysFile);
  const inline = setting(env, E.apiKeys);
  if (keysFile !== undefined && inline !== undefined) {
    throw new SecurityConfigError(`${E.apiKeysFile} and ${E.apiKeys} are both set: use one`);
  }
  let apiKeys: ApiKeyRing | undefined;
  if (keysFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(keysFile, 'utf8');
    } catch (error) {
      throw new SecurityConfigError(`${E.apiKeysFile}: cannot read ${keysFile} (${error instanceof Error ? error.message : String(error)})`);
    }
    apiKeys = ApiKeyRing.parse(text, E.apiKeysFile);
  } else if (inline !== undefined) {
    apiKeys = ApiKeyRing.parse(inline, E.apiKeys);
  }

  const quotaRaw = setting(env, E.quotaLlmTokensPerMinute) ?? '0';
  const quota = /^\d+$/.test(quotaRaw) ? Number(quotaRaw) : Number.NaN;
  if (!Number.isSafeInteger(quota)) {
    throw new SecurityConfigError(`${E.quotaLlmTokensPerMinute}: must be a non-negative integer, got "${quotaRaw}"`);
  }
  return { tls, apiKeys, quotaLlmTokensPerMinute: quota };
}

/** What the gRPC host needs: credentials for `listen`, interceptors for the server. */
export interface GrpcServerSecurity {
  credentials: ServerCredentials;
  interceptors: ServerInterceptor[];
}

export function grpcServerSecurity(config: ApiSecurityConfig): GrpcServerSecurity {
  const credentials =
    config.tls === undefined
      ? ServerCredentials.createInsecure()
      : ServerCredentials.createSsl(config.tls.ca ?? null, [{ cert_chain: config.tls.cert, private_key: config.tls.key }], config.tls.requireClientCert);
  return { credentials, interceptors: config.apiKeys === undefined ? [] : [apiKeyInterceptor(config.apiKeys)] };
}

/** The per-key quota, or undefined when off. */
export function llmTokenQuota(config: ApiSecurityConfig, clock: Clock = new SystemClock()): TokenQuota | undefined {
  return config.quotaLlmTokensPerMinute > 0 ? new TokenQuota({ tokensPerWindow: config.quotaLlmTokensPerMinute, windowMs: 60_000 }, clock) : undefined;
}
