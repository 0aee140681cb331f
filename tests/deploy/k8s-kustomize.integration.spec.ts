import { join } from 'node:path';
import { kustomize as render } from './kustomize';
import { K8S_DIR, keyOf, relativePath, type JsonObject } from './manifests';

/**
 * Integration tier: every kustomize target under k8s/ rendered by the real
 * `kubectl kustomize` (the `kubectl` on PATH; it needs kustomize >= v3.1 for
 * the overlays' `patches:` field), then every namespaced object checked to
 * land in the `relayllm` namespace: an object without one goes to whatever
 * namespace the applying context has, where its selectors and targets miss.
 */

const NAMESPACE = 'relayllm';
const TARGETS = ['base', 'overlays/dev', 'overlays/prod'].map((target) => join(K8S_DIR, target));

/**
 * The scope of every kind the manifests use (Kubernetes API reference; the
 * CRDs' own `scope`). A kind missing here fails the test rather than being
 * guessed: classify it when you add one.
 */
const SCOPE: Record<string, 'Namespaced' | 'Cluster'> = {
  Namespace: 'Cluster',
  ClusterRole: 'Cluster',
  ClusterRoleBinding: 'Cluster',
  PriorityClass: 'Cluster',
  StorageClass: 'Cluster',
  ConfigMap: 'Namespaced',
  Secret: 'Namespaced',
  ServiceAccount: 'Namespaced',
  Role: 'Namespaced',
  RoleBinding: 'Namespaced',
  Deployment: 'Namespaced',
  StatefulSet: 'Namespaced',
  Service: 'Namespaced',
  PersistentVolumeClaim: 'Namespaced',
  HorizontalPodAutoscaler: 'Namespaced',
  PodDisruptionBudget: 'Namespaced',
  NetworkPolicy: 'Namespaced',
  ScaledObject: 'Namespaced', // keda.sh/v1alpha1
  ServiceMonitor: 'Namespaced', // monitoring.coreos.com/v1
};

const metadataOf = (object: JsonObject): JsonObject => (object['metadata'] ?? {}) as JsonObject;

describe('kubectl kustomize k8s/*', () => {
  it.each(TARGETS.map((dir) => [relativePath(dir), dir]))('%s: every namespaced object is in the relayllm namespace', (_name, dir) => {
    const objects = render(dir);
    expect(objects.length).toBeGreaterThan(10);
    const unclassified = objects.map((o) => String(o['kind'])).filter((kind) => SCOPE[kind] === undefined);
    expect({ unclassified }).toEqual({ unclassified: [] });
    const misplaced = objects
      .filter((o) => SCOPE[String(o['kind'])] === 'Namespaced' && metadataOf(o)['namespace'] !== NAMESPACE)
      .map((o) => `${keyOf(o)} namespace=${String(metadataOf(o)['namespace'])}`);
    expect(misplaced).toEqual([]);
    const clusterScoped = objects.filter((o) => SCOPE[String(o['kind'])] === 'Cluster');
    expect(clusterScoped.map((o) => ({ key: keyOf(o), namespace: metadataOf(o)['namespace'] }))).toEqual([
      { key: `Namespace/${NAMESPACE}`, namespace: undefined },
    ]);
  });

  it('renders the objects each overlay adds (so the check above covers them)', () => {
    const keys = (target: string) => render(join(K8S_DIR, target)).map(keyOf);
    expect(keys('overlays/dev')).toContain('PersistentVolumeClaim/relayllm-models');
    expect(keys('overlays/prod')).toEqual(expect.arrayContaining(['ScaledObject/relayllm-llm-worker', 'ServiceMonitor/relayllm']));
  });
});
