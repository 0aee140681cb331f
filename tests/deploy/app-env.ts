import { OBSERVABILITY_ENV } from '@relayllm/observability';
import { API_SECURITY_ENV, NATS_SECURITY_ENV, SLM_TLS_ENV } from '@relayllm/security';
import { LLM_WORKER_ENV } from '../../apps/llm-worker/src/app/config';
import { CONFIG_ENV as ORCHESTRATOR_ENV } from '../../apps/orchestrator/src/app/config';
import { SLM_WORKER_ENV } from '../../apps/slm-worker/src/app/config';

/**
 * The environment variables each app's config reads, by the container name the
 * chart and the manifests give it. The deployment speaks to the apps only
 * through these: a variable set under any other name is ignored silently
 * (TLS that never turns on).
 */

const common = [...Object.values(NATS_SECURITY_ENV), ...Object.values(OBSERVABILITY_ENV)];

export const ENV_READ_BY: Readonly<Record<string, ReadonlySet<string>>> = {
  orchestrator: new Set([
    ...Object.values(ORCHESTRATOR_ENV),
    ...Object.values(API_SECURITY_ENV),
    SLM_TLS_ENV.clientCaFile,
    SLM_TLS_ENV.clientCertFile,
    SLM_TLS_ENV.clientKeyFile,
    SLM_TLS_ENV.clientServerName,
    ...common,
  ]),
  'slm-worker': new Set([...Object.values(SLM_WORKER_ENV), SLM_TLS_ENV.serverCertFile, SLM_TLS_ENV.serverKeyFile, SLM_TLS_ENV.serverClientCaFile, ...common]),
  'llm-worker': new Set([...Object.values(LLM_WORKER_ENV), ...common]),
};

/** Variables of ours (the apps ignore every other name; NATS and Redis containers have their own). */
export const isAppVariable = (name: string): boolean => /^(RELAYLLM|OTEL)_/.test(name);
