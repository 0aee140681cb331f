import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NATS_ROLE_USERS, type NatsRole } from '@relayllm/security';
import { CONFIG_ENV as ORCHESTRATOR_ENV, loadConfig as loadOrchestratorConfig } from '../../apps/orchestrator/src/app/config';
import { ENV_READ_BY, isAppVariable } from './app-env';
import { chartWithoutDependencies, helm, HELM_VERSIONS, helmTemplate, renderedObjects, valuesArgs, type HelmVersion } from './helm';
import { checkKubernetesObject } from './k8s-schema';
import { at, keyOf, type JsonObject } from './manifests';

/**
 * Integration tier: the chart rendered by the real helm, 3 and 4 (the pinned
 * builds of scripts/install-helm.sh), with its default values and with the
 * production profile. The offline specs read the templates as text; these
 * read what a cluster would get: objects of valid types, app variables the apps read,
 * NATS credentials wired to the generated Secret, selectors and ports that
 * meet, and the refusals of an unprotected channel.
 */

const PROFILES: Record<string, string[]> = { default: [], production: ['values-production.yaml'] };
const APPS: readonly NatsRole[] = ['orchestrator', 'slm-worker', 'llm-worker'];

let chart: ReturnType<typeof chartWithoutDependencies>;
beforeAll(() => {
  chart = chartWithoutDependencies();
});
afterAll(() => chart?.remove());

const ofKind = (objects: JsonObject[], kind: string): JsonObject[] => objects.filter((o) => o.kind === kind);
const podLabels = (deployment: JsonObject): JsonObject => (at(deployment, ['spec', 'template', 'metadata', 'labels']) ?? {}) as JsonObject;
const containers = (deployment: JsonObject): JsonObject[] => (at(deployment, ['spec', 'template', 'spec', 'containers']) ?? []) as JsonObject[];
const envOf = (container: JsonObject): Map<string, JsonObject> => new Map(((container.env ?? []) as JsonObject[]).map((e) => [String(e.name), e]));
const selects = (selector: JsonObject, labels: JsonObject): boolean => Object.entries(selector).every(([key, value]) => labels[key] === value);
/** The app container of each rendered Deployment, by its name (the NATS role of the app). */
const appContainers = (objects: JsonObject[]): Map<string, JsonObject> =>
  new Map(ofKind(objects, 'Deployment').flatMap(containers).filter((c) => String(c.name) in ENV_READ_BY).map((c) => [String(c.name), c]));
/** The orchestrator's config as it would load from the plain values of its rendered environment. */
const orchestratorConfigOf = (objects: JsonObject[]): ReturnType<typeof loadOrchestratorConfig> => {
  const env = envOf(appContainers(objects).get('orchestrator') as JsonObject);
  return loadOrchestratorConfig(Object.fromEntries([...env].filter(([, e]) => typeof e.value === 'string').map(([name, e]) => [name, String(e.value)])));
};

describe.each(HELM_VERSIONS.map((version) => [version]))('helm %s on deploy/helm/relayllm', (version: HelmVersion) => {
  const rendered: Record<string, JsonObject[]> = {};
  beforeAll(() => {
    for (const [profile, valuesFiles] of Object.entries(PROFILES)) rendered[profile] = renderedObjects(helmTemplate(chart.dir, { valuesFiles, version }));
  });

  it.each(Object.entries(PROFILES))('helm lint --strict passes with the %s values', (_profile, valuesFiles) => {
    const run = helm(['lint', '--strict', chart.dir, ...valuesArgs(chart.dir, valuesFiles)], version);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it.each(Object.keys(PROFILES))('every object rendered with the %s values is a valid Kubernetes object, each app a Deployment', (profile) => {
    const objects = rendered[profile];
    expect(objects.map((o) => ({ object: keyOf(o), problems: checkKubernetesObject(o) })).filter((r) => r.problems.length > 0)).toEqual([]);
    expect([...appContainers(objects).keys()].sort()).toEqual([...APPS].sort());
  });

  it.each(Object.keys(PROFILES))('with the %s values each app gets only variables it reads, and no plain-mode switch', (profile) => {
    const apps = appContainers(rendered[profile]);
    expect(apps.size).toBe(APPS.length);
    for (const [app, container] of apps) {
      const names = [...envOf(container).keys()].filter(isAppVariable);
      expect({ app, unread: names.filter((name) => !ENV_READ_BY[app].has(name)) }).toEqual({ app, unread: [] });
      expect(names).toEqual(expect.arrayContaining(['RELAYLLM_NATS_URL', 'RELAYLLM_NATS_USER', 'RELAYLLM_NATS_PASSWORD']));
      expect(names).not.toContain('RELAYLLM_INSECURE');
    }
  });

  it("each app logs in to NATS as its role, with its password from the Secret the chart generates", () => {
    const objects = rendered['default'];
    const secret = ofKind(objects, 'Secret').find((s) => at(s, ['metadata', 'name']) === 'relayllm-nats-auth') as JsonObject;
    expect(at(secret, ['metadata', 'annotations', 'helm.sh/resource-policy'])).toBe('keep');
    const data = secret.data as JsonObject;
    expect(Object.keys(data).sort()).toEqual(APPS.map((role) => `${role}-password`).sort());
    const apps = appContainers(objects);
    expect(apps.size).toBe(APPS.length);
    for (const [app, container] of apps) {
      const env = envOf(container);
      expect({ app, user: at(env.get('RELAYLLM_NATS_USER'), ['value']) }).toEqual({ app, user: NATS_ROLE_USERS[app as NatsRole] });
      const ref = at(env.get('RELAYLLM_NATS_PASSWORD'), ['valueFrom', 'secretKeyRef']) as JsonObject;
      expect({ app, ref }).toEqual({ app, ref: { name: 'relayllm-nats-auth', key: `${app}-password` } });
      // 32 characters, a letter first (nats-server reads a value that starts with a digit as a number).
      expect(Buffer.from(String(data[`${app}-password`]), 'base64').toString()).toMatch(/^[A-Za-z][A-Za-z0-9]{31}$/);
    }
  });

  it.each(Object.keys(PROFILES))('with the %s values every Service, PDB and HPA reaches one Deployment, on ports its pods open', (profile) => {
    const objects = rendered[profile];
    const deployments = ofKind(objects, 'Deployment');
    const selected = (selector: JsonObject): JsonObject[] => deployments.filter((d) => selects(selector, podLabels(d)));
    for (const service of ofKind(objects, 'Service')) {
      const [target, ...others] = selected(at(service, ['spec', 'selector']) as JsonObject);
      expect({ service: keyOf(service), targets: others.length + (target === undefined ? 0 : 1) }).toEqual({ service: keyOf(service), targets: 1 });
      const open = containers(target).flatMap((c) => ((c.ports ?? []) as JsonObject[]).map((p) => String(p.name)));
      for (const port of (at(service, ['spec', 'ports']) ?? []) as JsonObject[]) expect(open).toContain(String(port.targetPort));
    }
    for (const pdb of ofKind(objects, 'PodDisruptionBudget')) expect(selected(at(pdb, ['spec', 'selector', 'matchLabels']) as JsonObject)).toHaveLength(1);
    const names = deployments.map((d) => at(d, ['metadata', 'name']));
    for (const hpa of ofKind(objects, 'HorizontalPodAutoscaler')) expect(names).toContain(at(hpa, ['spec', 'scaleTargetRef', 'name']));
    for (const scaled of ofKind(objects, 'ScaledObject')) expect(names).toContain(at(scaled, ['spec', 'scaleTargetRef', 'name']));
  });

  it("orchestrator.requestDefaults reach the orchestrator's settings: 5 turns and no floor by default, the card's 64 / 0.7 from --set or a values file", () => {
    expect(orchestratorConfigOf(rendered['default'])).toMatchObject({ defaultMaxTurns: 5, defaultConfidenceFloor: 0 });
    // --set makes 0.7 a string, a values file a number: both render "0.7".
    writeFileSync(join(chart.dir, 'floor-values.yaml'), 'orchestrator:\n  requestDefaults: { maxTurns: 64, confidenceFloor: 0.7 }\n');
    const set = ['orchestrator.requestDefaults.maxTurns=64', 'orchestrator.requestDefaults.confidenceFloor=0.7'];
    for (const objects of [renderedObjects(helmTemplate(chart.dir, { set, version })), renderedObjects(helmTemplate(chart.dir, { valuesFiles: ['floor-values.yaml'], version }))]) {
      const env = envOf(appContainers(objects).get('orchestrator') as JsonObject);
      expect([ORCHESTRATOR_ENV.defaultMaxTurns, ORCHESTRATOR_ENV.defaultConfidenceFloor].map((name) => at(env.get(name), ['value']))).toEqual(['64', '0.7']);
      expect(orchestratorConfigOf(objects)).toMatchObject({ defaultMaxTurns: 64, defaultConfidenceFloor: 0.7 });
    }
    const refused = helmTemplate(chart.dir, { set: ['orchestrator.requestDefaults.maxTurns=65'], version });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/requestDefaults[./]maxTurns/);
  });

  it('every NetworkPolicy of an app selects its pods', () => {
    const objects = rendered['default'];
    const deployments = ofKind(objects, 'Deployment');
    const ofApps = ofKind(objects, 'NetworkPolicy').filter((policy) => at(policy, ['spec', 'podSelector', 'matchLabels', 'app.kubernetes.io/component']) !== undefined);
    // The others: default-deny (every pod), and the NATS and Redis dependencies' pods.
    expect(ofApps).toHaveLength(APPS.length);
    for (const policy of ofApps) {
      const selector = at(policy, ['spec', 'podSelector', 'matchLabels']) as JsonObject;
      expect({ policy: keyOf(policy), pods: deployments.filter((d) => selects(selector, podLabels(d))).length }).toEqual({ policy: keyOf(policy), pods: 1 });
    }
  });

  it.each([
    // The values schema refuses these two first (helm 3 names the path natsClient.authMode, helm 4 /natsClient/authMode).
    ['NATS without credentials', ['natsClient.authMode=none'], /natsClient[./]authMode/],
    ['SLM streams without TLS', ['slmWorker.tls.enabled=false'], /slmWorker[./]tls[./]enabled/],
    ['Redis without a password', ['redis.auth.enabled=false'], /redis\.auth\.enabled false/],
    ['an external Redis without a password', ['redis.enabled=false', 'externalRedis.url=redis://db:6379', 'redisClient.passwordSecret='], /redisClient\.passwordSecret is empty/],
  ])('%s: refused, naming the value, unless insecure is true', (_what, set, reason) => {
    const refused = helmTemplate(chart.dir, { set, version });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(reason);
    const plain = appContainers(renderedObjects(helmTemplate(chart.dir, { set: [...set, 'insecure=true'], version })));
    expect(plain.size).toBe(APPS.length);
    for (const [app, container] of plain) expect({ app, insecure: at(envOf(container).get('RELAYLLM_INSECURE'), ['value']) }).toEqual({ app, insecure: 'true' });
  });

  it('insecure does not lift a Redis password without a Secret to hold it: refused, naming the value', () => {
    const run = helmTemplate(chart.dir, { set: ['insecure=true', 'redisClient.passwordSecret='], version });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/redisClient\.passwordSecret is empty: Redis has a password \(redis\.auth\.enabled\)/);
  });
});
