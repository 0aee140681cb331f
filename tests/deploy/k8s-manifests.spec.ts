import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkKubernetesObject } from './k8s-schema';
import {
  CHART_DIR,
  K8S_DIR,
  at,
  filesUnder,
  keyOf,
  kustomizeResources,
  loadKustomization,
  loadYaml,
  loadYamlDocuments,
  relativePath,
  type JsonObject,
} from './manifests';

/**
 * Offline checks (no process): every manifest under k8s/ parses and matches
 * the Kubernetes API types of its kind; overlays only reference files that
 * exist and only patch objects of their base; the base carries the chart's
 * default values. k8s-from-chart.integration.spec.ts compares k8s/ with the
 * chart as the real helm renders it.
 */

const OVERLAYS = ['dev', 'prod'].map((name) => join(K8S_DIR, 'overlays', name));
const BASE = join(K8S_DIR, 'base');

function patchFilesOf(dir: string): Set<string> {
  return new Set(loadKustomization(dir).patchFiles);
}
const allPatchFiles = new Set(OVERLAYS.flatMap((dir) => [...patchFilesOf(dir)]));
const manifestFiles = filesUnder(K8S_DIR, ['.yaml', '.yml']).filter((file) => !file.endsWith('kustomization.yaml'));

describe('k8s/ manifests', () => {
  it('finds the base and both overlays', () => {
    for (const dir of [BASE, ...OVERLAYS]) expect(existsSync(join(dir, 'kustomization.yaml'))).toBe(true);
    expect(manifestFiles.length).toBeGreaterThan(10);
  });

  it.each(manifestFiles.map((file) => [relativePath(file), file]))('%s parses and matches the Kubernetes API types', (_name, file) => {
    const partial = allPatchFiles.has(file);
    const documents = loadYamlDocuments(file);
    expect(documents.length).toBeGreaterThan(0);
    const problems = documents.flatMap(({ object, index }) =>
      checkKubernetesObject(object, { partial }).map((p) => `document ${index} ${keyOf(object)} ${p.path}: ${p.message}`),
    );
    expect(problems).toEqual([]);
  });

  it.each(OVERLAYS.map((dir) => [relativePath(dir), dir]))('%s: every resource and patch exists, every patch targets an object of the base', (_name, dir) => {
    const k = loadKustomization(dir);
    for (const file of [...k.resources, ...k.patchFiles]) expect(existsSync(file)).toBe(true);
    const objects = new Set(kustomizeResources(dir).map(({ object }) => keyOf(object)));
    for (const file of k.patchFiles) {
      for (const { object } of loadYamlDocuments(file)) expect({ patch: relativePath(file), target: keyOf(object), found: objects.has(keyOf(object)) }).toMatchObject({ found: true });
    }
    for (const { target, patch } of k.inlinePatches) {
      const patchObject = parse(patch) as JsonObject;
      expect(checkKubernetesObject(patchObject, { partial: true })).toEqual([]);
      const kinds = [...objects].filter((key) => key.startsWith(`${String(target.kind)}/`) && (target.name === undefined || key === `${String(target.kind)}/${String(target.name)}`));
      expect({ target, matches: kinds.length > 0 }).toMatchObject({ matches: true });
    }
    const images = new Set(
      kustomizeResources(dir).flatMap(({ object }) =>
        ((at(object, ['spec', 'template', 'spec', 'containers']) ?? []) as JsonObject[]).map((c) => String(c.image).replace(/:[^:/]+$/, '')),
      ),
    );
    for (const image of k.images) expect({ image: image.name, used: images.has(image.name) }).toMatchObject({ used: true });
  });

  // The base's `namespace:` reaches only the base's objects; what an overlay adds needs its own
  // (kubectl kustomize renders and checks every object in k8s-kustomize.integration.spec.ts).
  it.each([BASE, ...OVERLAYS].map((dir) => [relativePath(dir), dir]))('%s sets namespace relayllm for every object it renders', (_name, dir) => {
    expect(loadYaml(join(dir, 'kustomization.yaml')).namespace).toBe('relayllm');
  });

  it('the base: unique object names, selectors matching pod labels, Services selecting pods, volumes mounted exist', () => {
    const objects = kustomizeResources(BASE).map(({ object }) => object);
    const keys = objects.map(keyOf);
    expect(new Set(keys).size).toBe(keys.length);
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    for (const d of deployments) {
      const selector = at(d, ['spec', 'selector', 'matchLabels']) as JsonObject;
      const labels = at(d, ['spec', 'template', 'metadata', 'labels']) as JsonObject;
      expect(labels).toMatchObject(selector);
      const pod = at(d, ['spec', 'template', 'spec']) as JsonObject;
      const volumes = new Set(((pod.volumes ?? []) as JsonObject[]).map((v) => v.name));
      for (const c of [...((pod.containers ?? []) as JsonObject[]), ...((pod.initContainers ?? []) as JsonObject[])]) {
        for (const m of (c.volumeMounts ?? []) as JsonObject[]) expect({ deployment: keyOf(d), mount: m.name, exists: volumes.has(m.name) }).toMatchObject({ exists: true });
      }
    }
    for (const service of objects.filter((o) => o.kind === 'Service')) {
      const selector = at(service, ['spec', 'selector']) as JsonObject;
      const selected = deployments.filter((d) => Object.entries(selector).every(([k, v]) => (at(d, ['spec', 'template', 'metadata', 'labels']) as JsonObject)[k] === v));
      expect({ service: keyOf(service), selects: selected.length }).toMatchObject({ selects: 1 });
    }
    for (const scaled of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'PodDisruptionBudget')) {
      const target = at(scaled, ['spec', 'scaleTargetRef', 'name']);
      if (target !== undefined) expect(keys).toContain(`Deployment/${String(target)}`);
    }
  });

  it("the base carries the chart's default values (ports, images, autoscaling, disruption budgets, resources, security contexts)", () => {
    const values = loadYaml(join(CHART_DIR, 'values.yaml')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const chart = loadYaml(join(CHART_DIR, 'Chart.yaml'));
    const objects = new Map(kustomizeResources(BASE).map(({ object }) => [keyOf(object), object]));
    const pools = { orchestrator: values.orchestrator, 'slm-worker': values.slmWorker, 'llm-worker': values.llmWorker };
    for (const [component, pool] of Object.entries(pools)) {
      const deployment = objects.get(`Deployment/relayllm-${component}`) as JsonObject;
      expect(deployment).toBeDefined();
      const container = (at(deployment, ['spec', 'template', 'spec', 'containers']) as JsonObject[])[0];
      expect(container.image).toBe(`${values.image.registry}/${values.image.repository}/${component}:${values.image.tag || String(chart.appVersion)}`);
      const ports = Object.fromEntries(((container.ports ?? []) as JsonObject[]).map((p) => [p.name, p.containerPort]));
      expect(ports.metrics).toBe(values.metrics.port);
      if (pool.port !== undefined) expect(ports.grpc).toBe(pool.port);
      expect(container.resources).toEqual(pool.resources);
      expect(container.securityContext).toEqual(values.containerSecurityContext);
      expect(at(deployment, ['spec', 'template', 'spec', 'securityContext'])).toEqual(values.podSecurityContext);
      const hpa = objects.get(`HorizontalPodAutoscaler/relayllm-${component}`);
      expect(hpa !== undefined).toBe(pool.autoscaling.enabled);
      if (hpa !== undefined) {
        expect(at(hpa, ['spec', 'minReplicas'])).toBe(pool.autoscaling.minReplicas);
        expect(at(hpa, ['spec', 'maxReplicas'])).toBe(pool.autoscaling.maxReplicas);
        expect(at(deployment, ['spec', 'replicas'])).toBeUndefined(); // the HPA owns it
      }
      const pdb = objects.get(`PodDisruptionBudget/relayllm-${component}`);
      expect(pdb !== undefined).toBe(pool.pdb.enabled);
      if (pdb !== undefined) expect(at(pdb, ['spec', 'minAvailable'])).toBe(pool.pdb.minAvailable);
    }
    const orchestrator = (at(objects.get('Deployment/relayllm-orchestrator'), ['spec', 'template', 'spec', 'containers']) as JsonObject[])[0];
    const httpPort = values.orchestrator.http.enabled ? values.orchestrator.http.port : undefined;
    const containerPorts = Object.fromEntries(((orchestrator.ports ?? []) as JsonObject[]).map((p) => [p.name, p.containerPort]));
    expect(containerPorts.http).toBe(httpPort);
    const env = Object.fromEntries(((orchestrator.env ?? []) as JsonObject[]).map((e) => [e.name, e.value]));
    expect(env.RELAYLLM_ORCHESTRATOR_HTTP_PORT).toBe(httpPort === undefined ? undefined : String(httpPort));
    const servicePorts = at(objects.get('Service/relayllm-orchestrator'), ['spec', 'ports']) as JsonObject[];
    expect(servicePorts.find((p) => p.name === 'http')).toEqual(httpPort === undefined ? undefined : expect.objectContaining({ port: httpPort, targetPort: 'http' }));
    const apiIngress = (at(objects.get('NetworkPolicy/relayllm-orchestrator'), ['spec', 'ingress']) as JsonObject[])[0];
    expect(((apiIngress.ports ?? []) as JsonObject[]).map((p) => p.port)).toEqual([values.orchestrator.port, ...(httpPort === undefined ? [] : [httpPort])]);
    const orchestratorProbe = at(objects.get('Deployment/relayllm-orchestrator'), ['spec', 'template', 'spec', 'containers']) as JsonObject[];
    expect(at(orchestratorProbe[0], ['readinessProbe', 'grpc', 'port'])).toBe(values.orchestrator.port);
    const slm = at(objects.get('Deployment/relayllm-slm-worker'), ['spec', 'template', 'spec', 'containers']) as JsonObject[];
    // With TLS on (the default) the probes check the port: Kubernetes gRPC probes do not speak TLS.
    if (values.slmWorker.tls.enabled) expect(at(slm[0], ['readinessProbe', 'tcpSocket', 'port'])).toBe('grpc');
    else expect(at(slm[0], ['readinessProbe', 'grpc', 'port'])).toBe(values.slmWorker.port);
    expect(objects.has('NetworkPolicy/relayllm-default-deny')).toBe(values.networkPolicy.enabled);
    expect(objects.has('ServiceMonitor/relayllm')).toBe(values.serviceMonitor.enabled);
    expect(objects.has('ScaledObject/relayllm-llm-worker')).toBe(values.llmWorker.keda.enabled);
  });

  it("the prod overlay's NetworkPolicy patch (ingress lists are replaced whole) keeps both API ports open", () => {
    const values = loadYaml(join(CHART_DIR, 'values.yaml')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const patch = [...patchFilesOf(OVERLAYS[1])]
      .flatMap((file) => loadYamlDocuments(file).map(({ object }) => object))
      .find((o) => keyOf(o) === 'NetworkPolicy/relayllm-orchestrator') as JsonObject;
    const ports = ((at(patch, ['spec', 'ingress']) as JsonObject[])[0].ports as JsonObject[]).map((p) => p.port);
    expect(ports).toEqual([values.orchestrator.port, values.orchestrator.http.port]);
  });

  it('the prod overlay turns the security features on, like values-production.yaml', () => {
    const patches = [...patchFilesOf(OVERLAYS[1])].flatMap((file) => loadYamlDocuments(file).map(({ object }) => object));
    const env = patches
      .filter((o) => keyOf(o) === 'Deployment/relayllm-orchestrator')
      .flatMap((o) => ((at(o, ['spec', 'template', 'spec', 'containers']) as JsonObject[])[0].env ?? []) as JsonObject[])
      .map((e) => e.name);
    for (const name of [
      'RELAYLLM_API_TLS_CERT_FILE',
      'RELAYLLM_API_TLS_KEY_FILE',
      'RELAYLLM_API_TLS_CLIENT_AUTH',
      'RELAYLLM_API_TLS_CLIENT_CA_FILE',
      'RELAYLLM_API_KEYS_FILE',
      'RELAYLLM_QUOTA_LLM_TOKENS_PER_MINUTE',
      'RELAYLLM_NATS_TLS_CA_FILE',
    ]) {
      expect(env).toContain(name);
    }
  });
});

describe('the offline Kubernetes type check catches mistakes', () => {
  const deployment = (container: JsonObject): JsonObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [container] } } },
  });

  it('accepts a valid object', () => {
    expect(checkKubernetesObject(deployment({ name: 'c', image: 'i', ports: [{ name: 'grpc', containerPort: 1 }] }))).toEqual([]);
  });

  it.each([
    ['an unknown apiVersion/kind pair', { apiVersion: 'apps/v1', kind: 'Service', metadata: { name: 'x' }, spec: {} }],
    ['a port that is not a number', deployment({ name: 'c', image: 'i', ports: [{ containerPort: '50051' }] })],
    ['a misspelt field', deployment({ name: 'c', image: 'i', ports: [{ contianerPort: 1 }] })],
    ['a missing image', deployment({ name: 'c' })],
    ['a probe with two handlers', deployment({ name: 'c', image: 'i', livenessProbe: { grpc: { port: 1 }, tcpSocket: { port: 1 } } })],
    ['a probe without a handler', deployment({ name: 'c', image: 'i', livenessProbe: { periodSeconds: 5 } })],
    ['an env value that is a number', deployment({ name: 'c', image: 'i', env: [{ name: 'A', value: 5 }] })],
    ['a bad quantity', deployment({ name: 'c', image: 'i', resources: { limits: { memory: '1 GB' } } })],
    ['a port name over 15 characters', deployment({ name: 'c', image: 'i', ports: [{ name: 'a-very-long-port-name', containerPort: 1 }] })],
  ])('rejects %s', (_what, object) => {
    expect(checkKubernetesObject(object as JsonObject).length).toBeGreaterThan(0);
  });

  it('a patch needs no required fields but keeps the types and the target name', () => {
    expect(checkKubernetesObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 2 } }, { partial: true })).toEqual([]);
    expect(checkKubernetesObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two' } }, { partial: true }).length).toBeGreaterThan(0);
    expect(checkKubernetesObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: {} }, { partial: true }).length).toBeGreaterThan(0);
  });
});
