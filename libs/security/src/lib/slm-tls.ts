import { ChannelCredentials, ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { SecurityConfigError } from './security-config-error';
import { checkCertKeyPair, readTlsMaterial } from './tls-settings';

/**
 * TLS of the orchestrator → SLM worker gRPC streams. Server side (the SLM
 * worker): a certificate + key, optionally a client CA (then mTLS is
 * required). Client side (the orchestrator): the CA that signed the workers'
 * certificates, optionally a client certificate + key, and the name to check
 * the workers' certificates against (workers are dialled by pod IP, so one
 * certificate for e.g. `relayllm-slm-worker` serves every pod).
 */
export const SLM_TLS_ENV = {
  serverCertFile: 'RELAYLLM_SLM_TLS_CERT_FILE',
  serverKeyFile: 'RELAYLLM_SLM_TLS_KEY_FILE',
  serverClientCaFile: 'RELAYLLM_SLM_TLS_CLIENT_CA_FILE',
  clientCaFile: 'RELAYLLM_SLM_TLS_CA_FILE',
  clientCertFile: 'RELAYLLM_SLM_TLS_CLIENT_CERT_FILE',
  clientKeyFile: 'RELAYLLM_SLM_TLS_CLIENT_KEY_FILE',
  clientServerName: 'RELAYLLM_SLM_TLS_SERVER_NAME',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const get = (env: Env, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

/** The SLM worker's server credentials; undefined = plaintext. Refuses half-configured setups, naming the variable. */
export function slmServerCredentialsFromEnv(env: Env): ServerCredentials | undefined {
  const E = SLM_TLS_ENV;
  const files = { certFile: get(env, E.serverCertFile), keyFile: get(env, E.serverKeyFile), caFile: get(env, E.serverClientCaFile) };
  const names = { certFile: E.serverCertFile, keyFile: E.serverKeyFile, caFile: E.serverClientCaFile };
  checkCertKeyPair(files, names);
  if (files.certFile === undefined) {
    if (files.caFile !== undefined) throw new SecurityConfigError(`${E.serverClientCaFile} is set but ${E.serverCertFile} is not: mTLS needs server TLS`);
    return undefined;
  }
  const pem = readTlsMaterial(files, names);
  return ServerCredentials.createSsl(pem.ca ?? null, [{ cert_chain: pem.cert as Buffer, private_key: pem.key as Buffer }], pem.ca !== undefined);
}

export interface SlmClientTls {
  credentials: ChannelCredentials;
  /** `grpc.ssl_target_name_override` when a server name is configured. */
  channelOptions: ChannelOptions;
}

/** The orchestrator's credentials for SLM workers; undefined = plaintext. Refuses half-configured setups, naming the variable. */
export function slmClientTlsFromEnv(env: Env): SlmClientTls | undefined {
  const E = SLM_TLS_ENV;
  const files = { caFile: get(env, E.clientCaFile), certFile: get(env, E.clientCertFile), keyFile: get(env, E.clientKeyFile) };
  const names = { caFile: E.clientCaFile, certFile: E.clientCertFile, keyFile: E.clientKeyFile };
  const serverName = get(env, E.clientServerName);
  checkCertKeyPair(files, names);
  if (files.caFile === undefined) {
    if (files.certFile !== undefined) throw new SecurityConfigError(`${E.clientCertFile} is set but ${E.clientCaFile} is not: a client certificate needs TLS`);
    if (serverName !== undefined) throw new SecurityConfigError(`${E.clientServerName} is set but ${E.clientCaFile} is not: a server name needs TLS`);
    return undefined;
  }
  const pem = readTlsMaterial(files, names);
  return {
    credentials: ChannelCredentials.createSsl(pem.ca ?? null, pem.key ?? null, pem.cert ?? null),
    channelOptions: serverName === undefined ? {} : { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName },
  };
}
