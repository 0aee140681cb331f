import { SecurityConfigError } from './security-config-error';

/**
 * The explicit plain-mode settings: one for every channel, one per channel.
 * Without them an app refuses to start on a channel that has no credentials
 * or TLS: plain mode must be chosen, never fallen into.
 */
export const INSECURE_ENV = {
  all: 'RELAYLLM_INSECURE',
  nats: 'RELAYLLM_NATS_INSECURE',
  redis: 'RELAYLLM_REDIS_INSECURE',
  slm: 'RELAYLLM_SLM_INSECURE',
} as const;

/** The channels between the parts of a deployment that must prove who is at the other end. */
export type SecuredChannel = 'nats' | 'redis' | 'slm';

/** Every warning line starts with this (operators grep their logs for it). */
export const INSECURE_WARNING_PREFIX = 'WARNING insecure mode:';

const RISK: Readonly<Record<SecuredChannel, string>> = {
  nats: 'NATS without credentials: anyone who reaches NATS can announce a worker, read relays and forge heartbeats',
  redis: 'Redis without a password: anyone who reaches Redis can read and overwrite generations and outputs',
  slm: 'SLM streams without mutual TLS: no worker proves who it is, and prompts travel in clear',
};

type Env = Readonly<Record<string, string | undefined>>;

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function flag(env: Env, name: string): boolean {
  const raw = env[name]?.trim().toLowerCase() ?? '';
  if (raw === '' || FALSE.has(raw)) return false;
  if (TRUE.has(raw)) return true;
  throw new SecurityConfigError(`${name} must be true or false, got "${env[name]}"`);
}

/**
 * Which channels may run plain, and only by an explicit setting
 * (RELAYLLM_INSECURE=true for all, RELAYLLM_<CHANNEL>_INSECURE=true for one).
 */
export class PlainModePolicy {
  private constructor(private readonly allowedBy: Readonly<Record<SecuredChannel, string | undefined>>) {}

  /** Reads the settings once; a value that is not a boolean is a SecurityConfigError naming the variable. */
  static fromEnv(env: Env): PlainModePolicy {
    const all = flag(env, INSECURE_ENV.all);
    const by = (channel: SecuredChannel): string | undefined => {
      if (flag(env, INSECURE_ENV[channel])) return INSECURE_ENV[channel];
      return all ? INSECURE_ENV.all : undefined;
    };
    return new PlainModePolicy({ nats: by('nats'), redis: by('redis'), slm: by('slm') });
  }

  /** True when `channel` may run plain. */
  allows(channel: SecuredChannel): boolean {
    return this.allowedBy[channel] !== undefined;
  }

  /**
   * A channel about to run without its protection; `missing` names the
   * settings that would give it. Refused (SecurityConfigError naming them
   * and the insecure setting) unless plain mode is on for it; then the
   * warning line to log at start.
   */
  plain(channel: SecuredChannel, missing: string): string {
    const allowedBy = this.allowedBy[channel];
    if (allowedBy === undefined) {
      throw new SecurityConfigError(
        `${missing} not set: ${RISK[channel]}. Set it (npm run cluster and the Helm chart generate it), ` +
          `or ${INSECURE_ENV[channel]}=true (or ${INSECURE_ENV.all}=true) to run plain on purpose`,
      );
    }
    return `${INSECURE_WARNING_PREFIX} ${RISK[channel]} (${allowedBy}=true; missing ${missing})`;
  }
}
