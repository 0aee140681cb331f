import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSlmChannelPki, SLM_WORKER_TLS_NAME, type SlmChannelPki } from './local-pki';
import { NATS_ROLE_USERS, NATS_ROLES, natsAuthorizationConfig, type NatsRole } from './nats-permissions';
import { NATS_SECURITY_ENV } from './nats-security';
import { SLM_TLS_ENV } from './slm-tls';

/** The orchestrator's Redis password setting (apps/orchestrator config). */
export const REDIS_PASSWORD_ENV = 'RELAYLLM_REDIS_PASSWORD';

/**
 * Everything a local deployment (`npm run cluster`, the end-to-end tests)
 * needs to run secured, generated fresh in a private directory (0700, files
 * 0600): a password per NATS role and the nats-server config granting each
 * role its subjects, a Redis password and its redis.conf, the SLM channel's
 * PKI, and the environment of each app process (also written as
 * `<role>.env`, for a client an operator starts by hand).
 */
export interface LocalSecrets {
  readonly dir: string;
  /** nats-server config (`-c`): the users and their permissions; host and port come from the command line. */
  readonly natsConfigFile: string;
  /** redis-server config (first argument): `requirepass`. */
  readonly redisConfigFile: string;
  readonly redisPassword: string;
  readonly natsPasswords: Readonly<Record<NatsRole, string>>;
  readonly pki: SlmChannelPki;
  /** The security environment of each app process. */
  readonly env: Readonly<Record<NatsRole, Readonly<Record<string, string>>>>;
  /** Deletes the directory (idempotent). */
  remove(): void;
}

/** 32 characters of [A-Za-z0-9_-] from 192 random bits. */
export function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}

function writePrivate(file: string, text: string): string {
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function roleEnv(role: NatsRole, password: string, redisPassword: string, pki: SlmChannelPki): Record<string, string> {
  const nats = { [NATS_SECURITY_ENV.user]: NATS_ROLE_USERS[role], [NATS_SECURITY_ENV.password]: password };
  const S = SLM_TLS_ENV;
  if (role === 'slm-worker') {
    return { ...nats, [S.serverCertFile]: pki.workerCert, [S.serverKeyFile]: pki.workerKey, [S.serverClientCaFile]: pki.caCert };
  }
  if (role === 'llm-worker') return nats;
  return {
    ...nats,
    [REDIS_PASSWORD_ENV]: redisPassword,
    [S.clientCaFile]: pki.caCert,
    [S.clientCertFile]: pki.orchestratorCert,
    [S.clientKeyFile]: pki.orchestratorKey,
    [S.clientServerName]: SLM_WORKER_TLS_NAME,
  };
}

/** Generates the secrets (openssl must be on PATH); `remove()` them when the deployment stops. */
export function generateLocalSecrets(options: { parentDir?: string; validDays?: number } = {}): LocalSecrets {
  // mkdtemp creates the directory 0700: only this user can list or read it.
  const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'relayllm-secrets-'));
  try {
    const natsPasswords = Object.fromEntries(NATS_ROLES.map((role) => [role, randomSecret()])) as Record<NatsRole, string>;
    const redisPassword = randomSecret();
    const pki = generateSlmChannelPki(dir, options.validDays);
    const env = Object.fromEntries(NATS_ROLES.map((role) => [role, roleEnv(role, natsPasswords[role], redisPassword, pki)])) as Record<NatsRole, Record<string, string>>;
    for (const role of NATS_ROLES) {
      writePrivate(join(dir, `${role}.env`), Object.entries(env[role]).map(([name, value]) => `${name}=${value}\n`).join(''));
    }
    return {
      dir,
      natsConfigFile: writePrivate(join(dir, 'nats.conf'), natsAuthorizationConfig(natsPasswords)),
      redisConfigFile: writePrivate(join(dir, 'redis.conf'), `requirepass "${redisPassword}"\n`),
      redisPassword,
      natsPasswords,
      pki,
      env,
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
