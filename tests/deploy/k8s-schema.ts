import Ajv from 'ajv';
import {
  array,
  closed,
  dnsSubdomain,
  int,
  intOrPortName,
  labelMap,
  labelSelector,
  networkPolicyPeer,
  networkPolicyPort,
  nonEmpty,
  object,
  podSpec,
  port,
  portName,
  quantity,
  str,
  stringMap,
  type Schema,
} from './k8s-schema-parts';

/**
 * A compact offline check of Kubernetes objects against the API types of the
 * kinds this repository ships (no network, so no OpenAPI download): valid
 * apiVersion/kind pairs, required fields, and the types of the common
 * fields (names, labels, container ports, env, probes, resources, security
 * contexts, selectors, HPA/PDB/NetworkPolicy/Service specs). Objects the
 * schema models fully reject unknown fields, so a typo ("contianerPort")
 * fails. `kubeconform` with the real schemas runs in the CI workflow.
 *
 * `partial: true` checks a kustomize patch: the same types, no required fields.
 */

/** The kinds this repository ships, by `apiVersion kind`. */
export const KIND_SCHEMAS: Readonly<Record<string, Schema>> = {
  'v1 Namespace': object('v1', 'Namespace', undefined),
  // A ConfigMap has `data` (string values) where other kinds have `spec`.
  'v1 ConfigMap': ((base: Schema): Schema => ({ ...base, properties: { ...(base.properties as Schema), data: stringMap } }))(object('v1', 'ConfigMap', undefined)),
  // A Secret has `type` and `data` (base64 values) where other kinds have `spec` (the Helm chart generates its own).
  'v1 Secret': ((base: Schema): Schema => ({
    ...base,
    properties: {
      ...(base.properties as Schema),
      type: nonEmpty,
      immutable: { type: 'boolean' },
      data: { type: 'object', additionalProperties: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$' } },
      stringData: stringMap,
    },
  }))(object('v1', 'Secret', undefined)),
  'apps/v1 Deployment': object(
    'apps/v1',
    'Deployment',
    closed(
      {
        replicas: int(),
        selector: labelSelector,
        strategy: { type: 'object' },
        revisionHistoryLimit: int(),
        template: closed({ metadata: closed({ labels: labelMap, annotations: stringMap }), spec: podSpec }, ['spec']),
      },
      ['selector', 'template'],
    ),
  ),
  'v1 Service': object(
    'v1',
    'Service',
    closed({
      type: { enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] },
      clusterIP: str,
      selector: stringMap,
      ports: array(
        closed(
          { name: portName, port, targetPort: intOrPortName, protocol: { enum: ['TCP', 'UDP', 'SCTP'] }, appProtocol: str, nodePort: port },
          ['port'],
        ),
        1,
      ),
    }),
  ),
  'autoscaling/v2 HorizontalPodAutoscaler': object(
    'autoscaling/v2',
    'HorizontalPodAutoscaler',
    closed(
      {
        scaleTargetRef: closed({ apiVersion: str, kind: nonEmpty, name: dnsSubdomain }, ['kind', 'name']),
        minReplicas: int(1),
        maxReplicas: int(1),
        metrics: array(
          closed(
            {
              type: { enum: ['Resource', 'Pods', 'Object', 'External', 'ContainerResource'] },
              resource: closed(
                {
                  name: nonEmpty,
                  target: closed(
                    { type: { enum: ['Utilization', 'AverageValue', 'Value'] }, averageUtilization: int(1), averageValue: quantity, value: quantity },
                    ['type'],
                  ),
                },
                ['name', 'target'],
              ),
            },
            ['type'],
          ),
        ),
        behavior: { type: 'object' },
      },
      ['scaleTargetRef', 'maxReplicas'],
    ),
  ),
  'policy/v1 PodDisruptionBudget': object(
    'policy/v1',
    'PodDisruptionBudget',
    {
      ...closed({ minAvailable: { anyOf: [int(), { type: 'string', pattern: '^[0-9]+%$' }] }, maxUnavailable: { anyOf: [int(), { type: 'string', pattern: '^[0-9]+%$' }] }, selector: labelSelector }),
      not: { required: ['minAvailable', 'maxUnavailable'] },
    },
  ),
  'networking.k8s.io/v1 NetworkPolicy': object(
    'networking.k8s.io/v1',
    'NetworkPolicy',
    closed(
      {
        podSelector: labelSelector,
        policyTypes: array({ enum: ['Ingress', 'Egress'] }),
        ingress: array(closed({ from: array(networkPolicyPeer), ports: array(networkPolicyPort) })),
        egress: array(closed({ to: array(networkPolicyPeer), ports: array(networkPolicyPort) })),
      },
      ['podSelector'],
    ),
  ),
  'v1 PersistentVolumeClaim': object(
    'v1',
    'PersistentVolumeClaim',
    closed(
      {
        accessModes: array({ enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'] }, 1),
        resources: closed({ requests: closed({ storage: quantity }, ['storage']) }, ['requests']),
        storageClassName: str,
        volumeMode: { enum: ['Filesystem', 'Block'] },
      },
      ['accessModes', 'resources'],
    ),
  ),
  'monitoring.coreos.com/v1 ServiceMonitor': object(
    'monitoring.coreos.com/v1',
    'ServiceMonitor',
    closed(
      {
        selector: labelSelector,
        namespaceSelector: { type: 'object' },
        endpoints: array(closed({ port: portName, path: { type: 'string', pattern: '^/' }, interval: { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' }, scheme: str }), 1),
      },
      ['selector', 'endpoints'],
    ),
  ),
  'keda.sh/v1alpha1 ScaledObject': object(
    'keda.sh/v1alpha1',
    'ScaledObject',
    closed(
      {
        scaleTargetRef: closed({ name: dnsSubdomain, kind: str, apiVersion: str }, ['name']),
        minReplicaCount: int(),
        maxReplicaCount: int(1),
        pollingInterval: int(1),
        cooldownPeriod: int(),
        triggers: array(closed({ type: nonEmpty, metadata: stringMap, name: str }, ['type', 'metadata']), 1),
      },
      ['scaleTargetRef', 'triggers'],
    ),
  ),
};

/** The schema with every `required` removed (a strategic-merge patch names only what it changes). */
function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'required' || key === 'oneOf' || key === 'not') continue;
    out[key] = withoutRequired(value);
  }
  return out;
}

/** A patch without its strategic-merge directives ($patch, $setElementOrder/..., $retainKeys, $deleteFromPrimitiveList/...). */
function withoutDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith('$')).map(([key, v]) => [key, withoutDirectives(v)]));
}

const ajv = new Ajv({ allErrors: true, jsonPointers: true });
const validators = new Map(Object.entries(KIND_SCHEMAS).map(([key, schema]) => [key, { full: ajv.compile(schema), partial: ajv.compile(withoutRequired(schema) as object) }]));

export interface ManifestProblem {
  path: string;
  message: string;
}

/** The problems of one object ([] = valid). */
export function checkKubernetesObject(object: unknown, options: { partial?: boolean } = {}): ManifestProblem[] {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) return [{ path: '', message: 'not an object' }];
  const { apiVersion, kind, metadata } = object as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  const key = `${String(apiVersion)} ${String(kind)}`;
  const validator = validators.get(key);
  if (validator === undefined) return [{ path: '', message: `unknown apiVersion/kind pair "${key}"` }];
  if (options.partial && (typeof metadata?.name !== 'string' || metadata.name === '')) {
    return [{ path: '/metadata/name', message: 'a patch must name the object it targets' }];
  }
  const validate = options.partial ? validator.partial : validator.full;
  if (validate(options.partial ? withoutDirectives(object) : object)) return [];
  return (validate.errors ?? []).map((error) => ({
    path: error.dataPath,
    message: `${error.message ?? 'invalid'}${'additionalProperty' in error.params ? ` (${String((error.params as { additionalProperty: string }).additionalProperty)})` : ''}`,
  }));
}
