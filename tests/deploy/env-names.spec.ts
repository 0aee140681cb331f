import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENV_READ_BY as READ_BY, isAppVariable as ours } from './app-env';
import { CHART_DIR, K8S_DIR, at, filesUnder, loadYamlDocuments, type JsonObject } from './manifests';

/**
 * Every RELAYLLM_* / OTEL_* variable the chart's templates or the manifests
 * set must be one the app's config actually reads (app-env.ts). The chart as
 * helm renders it is checked the same way in helm-template.integration.spec.ts.
 */

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
