import { join } from 'node:path';
import { chartWithoutDependencies, helmTemplate, renderedObjects } from './helm';
import { kustomize } from './kustomize';
import { K8S_DIR, keyOf, type Json, type JsonObject } from './manifests';

/**
 * Integration tier: k8s/ is the chart's rendering, kept by hand (k8s/README.md:
 * "when the chart changes, re-render base/ and the prod patches from it").
 * `kubectl kustomize k8s/base` must equal `helm template relayllm` with the
 * default values, and `k8s/overlays/prod` the production profile, object for
 * object, but for what only one side can have: helm's own labels, the
 * namespace (kustomize sets it, helm leaves it to `-n`), the order of named
 * list items (a strategic-merge patch puts its entries first), the objects the
 * chart's NATS and Redis dependencies make (k8s/ has plain stand-ins), and the
 * Secrets the chart generates (k8s/ asks the operator for them).
 */

const HELM_ONLY_LABELS = ['helm.sh/chart', 'app.kubernetes.io/managed-by'];
/** Lists whose items are named, compared as sets (container env, ports, mounts, volumes, containers). */
const NAMED_LISTS = new Set(['env', 'ports', 'volumeMounts', 'volumes', 'containers', 'initContainers']);
const DEPENDENCY_STAND_INS = [
  'ConfigMap/relayllm-nats-config',
  'Deployment/relayllm-nats',
  'Deployment/relayllm-redis-master',
  'Namespace/relayllm',
  'Service/relayllm-nats',
  'Service/relayllm-redis-master',
];
const GENERATED_SECRETS = ['Secret/relayllm-nats-auth', 'Secret/relayllm-redis-auth', 'Secret/relayllm-slm-client-tls', 'Secret/relayllm-slm-tls'];

const TARGETS = [
  { target: 'base', valuesFiles: [], helmOnly: GENERATED_SECRETS },
  // The production profile brings its own Secrets (values-production.yaml lists them).
  { target: 'overlays/prod', valuesFiles: ['values-production.yaml'], helmOnly: [] },
];

const isMap = (value: Json | undefined): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `value` without what only one side can have (see above); named lists sorted by name. */
function comparable(value: Json, key = ''): Json {
  if (Array.isArray(value)) {
    const items = value.map((item) => comparable(item));
    const named = NAMED_LISTS.has(key) && items.every((item) => isMap(item) && typeof item.name === 'string');
    return named ? [...items].sort((a, b) => String((a as JsonObject).name).localeCompare(String((b as JsonObject).name))) : items;
  }
  if (!isMap(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (key === 'labels' && HELM_ONLY_LABELS.includes(k)) continue;
    if (key === 'metadata' && k === 'namespace') continue;
    out[k] = comparable(v, k);
  }
  return out;
}

/** The paths where two values differ (at most `limit`), for a readable failure. */
function differences(a: Json | undefined, b: Json | undefined, path = '', limit = 10): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (isMap(a) && isMap(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences(a[k], b[k], `${path}/${k}`, limit)).slice(0, limit);
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((item, i) => differences(item, b[i], `${path}[${i}]`, limit)).slice(0, limit);
  }
  return [`${path}: chart ${JSON.stringify(a)?.slice(0, 80)} | k8s ${JSON.stringify(b)?.slice(0, 80)}`];
}

let chart: ReturnType<typeof chartWithoutDependencies>;
beforeAll(() => {
  chart = chartWithoutDependencies();
});
afterAll(() => chart?.remove());

describe('k8s/ is the Helm chart rendered', () => {
  it.each(TARGETS)('k8s/$target equals the chart with its values $valuesFiles', ({ target, valuesFiles, helmOnly }) => {
    const fromChart = new Map(renderedObjects(helmTemplate(chart.dir, { valuesFiles })).map((o) => [keyOf(o), o]));
    const fromK8s = new Map(kustomize(join(K8S_DIR, target)).map((o) => [keyOf(o), o]));
    expect([...fromChart.keys()].filter((k) => !fromK8s.has(k)).sort()).toEqual(helmOnly);
    expect([...fromK8s.keys()].filter((k) => !fromChart.has(k)).sort()).toEqual(DEPENDENCY_STAND_INS);
    const shared = [...fromChart.keys()].filter((k) => fromK8s.has(k));
    expect(shared.length).toBeGreaterThan(15);
    const drift = shared
      .map((k) => ({ object: k, differences: differences(comparable(fromChart.get(k) as JsonObject), comparable(fromK8s.get(k) as JsonObject)) }))
      .filter((d) => d.differences.length > 0);
    expect(drift).toEqual([]);
  });
});
