import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OBSERVABILITY_ENV } from '@relayllm/observability';
import { API_SECURITY_ENV, NATS_SECURITY_ENV, SLM_TLS_ENV } from '@relayllm/security';
import { LLM_WORKER_ENV } from '../../apps/llm-worker/src/app/config';
import { CONFIG_ENV as ORCHESTRATOR_ENV } from '../../apps/orchestrator/src/app/config';
import { SLM_WORKER_ENV } from '../../apps/slm-worker/src/app/config';
import { CHART_DIR, K8S_DIR, at, filesUnder, loadYamlDocuments, type JsonObject } from './manifests';

/**
 * The deployment speaks to the apps only through environment variables: every
 * RELAYLLM_* / OTEL_* variable the chart or the manifests set must be one the
 * app's config actually reads (a renamed setting would otherwise be ignored
 * silently, e.g. TLS that never turns on).
 */

const common = [...Object.values(NATS_SECURITY_ENV), ...Object.values(OBSERVABILITY_ENV)];
const READ_BY: Record<string, Set<string>> = {
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
const ours = (name: string): boolean => /^(RELAYLLM|OTEL)_/.test(name);

describe('environment variables of the deployment', () => {
  it.each(Object.keys(READ_BY))('the chart sets only variables the %s reads', (component) => {
    const template = readFileSync(join(CHART_DIR, 'templates', `${component}-deployment.yaml`), 'utf8');
    const helpers = readFileSync(join(CHART_DIR, 'templates', '_helpers.tpl'), 'utf8');
    const commonEnv = /define "relayllm.commonEnv"([\s\S]*?)\{\{- end -\}\}\n\n/.exec(helpers)?.[1] ?? '';
    expect(commonEnv).toContain('RELAYLLM_NATS_URL');
    const names = [...`${template}\n${commonEnv}`.matchAll(/name:\s*([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]).filter(ours);
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((name) => !READ_BY[component].has(name))).toEqual([]);
  });

  it('the k8s manifests set only variables the apps read', () => {
    const unknown: string[] = [];
    for (const file of filesUnder(K8S_DIR, ['.yaml'])) {
      if (file.endsWith('kustomization.yaml')) continue;
      for (const { object } of loadYamlDocuments(file)) {
        if (object.kind !== 'Deployment') continue;
        for (const container of (at(object, ['spec', 'template', 'spec', 'containers']) ?? []) as JsonObject[]) {
          const known = READ_BY[String(container.name)];
          if (known === undefined) continue; // NATS, Redis
          for (const env of (container.env ?? []) as JsonObject[]) {
            const name = String(env.name);
            if (ours(name) && !known.has(name)) unknown.push(`${file}: ${String(container.name)} ${name}`);
          }
        }
      }
    }
    expect(unknown).toEqual([]);
  });
});
