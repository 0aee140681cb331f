import Ajv from 'ajv';

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

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const nonEmpty: Schema = { type: 'string', minLength: 1 };
const bool: Schema = { type: 'boolean' };
const int = (minimum = 0, maximum?: number): Schema => ({ type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }) });
const port = int(1, 65_535);
/** DNS-1123 subdomain (object names). */
const dnsSubdomain: Schema = { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' };
/** DNS-1123 label (container, port-less names). */
const dnsLabel: Schema = { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
/** IANA service name (named ports): at most 15 characters, a letter in it. */
const portName: Schema = { type: 'string', maxLength: 15, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
const intOrPortName: Schema = { anyOf: [port, portName] };
const quantity: Schema = { anyOf: [{ type: 'string', pattern: '^[+]?[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$' }, { type: 'number', minimum: 0 }] };
const stringMap: Schema = { type: 'object', additionalProperties: str };
const labelMap: Schema = {
  type: 'object',
  propertyNames: { pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$' },
  additionalProperties: { type: 'string', maxLength: 63, pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$' },
};
const closed = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const array = (items: Schema, minItems = 0): Schema => ({ type: 'array', items, minItems });

const labelSelector = closed({
  matchLabels: labelMap,
  matchExpressions: array(closed({ key: nonEmpty, operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: array(str) }, ['key', 'operator'])),
});

const metadata = closed(
  {
    name: dnsSubdomain,
    namespace: dnsLabel,
    labels: labelMap,
    annotations: stringMap,
  },
  ['name'],
);

const resources = closed({
  requests: { type: 'object', additionalProperties: quantity },
  limits: { type: 'object', additionalProperties: quantity },
});

const handlers = {
  httpGet: closed({ path: str, port: intOrPortName, scheme: { enum: ['HTTP', 'HTTPS'] }, host: str }, ['port']),
  tcpSocket: closed({ port: intOrPortName, host: str }, ['port']),
  grpc: closed({ port, service: str }, ['port']),
  exec: closed({ command: array(str, 1) }, ['command']),
};
/** Exactly one handler (a patch may null one out: `grpc: null`). */
const probe: Schema = {
  ...closed({
    ...Object.fromEntries(Object.entries(handlers).map(([k, v]) => [k, { anyOf: [v, { type: 'null' }] }])),
    initialDelaySeconds: int(),
    periodSeconds: int(1),
    timeoutSeconds: int(1),
    successThreshold: int(1),
    failureThreshold: int(1),
    terminationGracePeriodSeconds: int(1),
  }),
  oneOf: Object.keys(handlers).map((k) => ({ required: [k], properties: { [k]: { type: 'object' } } })),
};

const envVar = closed(
  {
    name: { type: 'string', pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$' },
    value: str,
    valueFrom: closed({
      secretKeyRef: closed({ name: dnsSubdomain, key: nonEmpty, optional: bool }, ['name', 'key']),
      configMapKeyRef: closed({ name: dnsSubdomain, key: nonEmpty, optional: bool }, ['name', 'key']),
      fieldRef: closed({ fieldPath: nonEmpty, apiVersion: str }, ['fieldPath']),
      resourceFieldRef: closed({ resource: nonEmpty, containerName: str, divisor: quantity }, ['resource']),
    }),
  },
  ['name'],
);

const containerSecurityContext = closed({
  allowPrivilegeEscalation: bool,
  readOnlyRootFilesystem: bool,
  privileged: bool,
  runAsNonRoot: bool,
  runAsUser: int(),
  runAsGroup: int(),
  capabilities: closed({ drop: array(str), add: array(str) }),
  seccompProfile: closed({ type: { enum: ['RuntimeDefault', 'Localhost', 'Unconfined'] }, localhostProfile: str }, ['type']),
});

const container = closed(
  {
    name: dnsLabel,
    image: nonEmpty,
    imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
    command: array(str),
    args: array(str),
    workingDir: str,
    ports: array(closed({ name: portName, containerPort: port, protocol: { enum: ['TCP', 'UDP', 'SCTP'] }, hostPort: port }, ['containerPort'])),
    env: array(envVar),
    resources,
    readinessProbe: probe,
    livenessProbe: probe,
    startupProbe: probe,
    securityContext: containerSecurityContext,
    volumeMounts: array(closed({ name: dnsLabel, mountPath: { type: 'string', pattern: '^/' }, readOnly: bool, subPath: str }, ['name', 'mountPath'])),
  },
  ['name', 'image'],
);

const volume = {
  ...closed(
    {
      name: dnsLabel,
      emptyDir: closed({ medium: { enum: ['', 'Memory'] }, sizeLimit: quantity }),
      secret: closed({ secretName: dnsSubdomain, optional: bool, defaultMode: int(0, 511), items: array({ type: 'object' }) }, ['secretName']),
      configMap: closed({ name: dnsSubdomain, optional: bool, defaultMode: int(0, 511) }, ['name']),
      persistentVolumeClaim: closed({ claimName: dnsSubdomain, readOnly: bool }, ['claimName']),
      hostPath: closed({ path: nonEmpty, type: str }, ['path']),
    },
    ['name'],
  ),
};

const podSpec = closed(
  {
    containers: array(container, 1),
    initContainers: array(container),
    volumes: array(volume),
    nodeSelector: stringMap,
    tolerations: array(
      closed({
        key: str,
        operator: { enum: ['Exists', 'Equal'] },
        value: str,
        effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
        tolerationSeconds: int(),
      }),
    ),
    affinity: { type: 'object' },
    securityContext: closed({
      runAsNonRoot: bool,
      runAsUser: int(),
      runAsGroup: int(),
      fsGroup: int(),
      seccompProfile: closed({ type: { enum: ['RuntimeDefault', 'Localhost', 'Unconfined'] }, localhostProfile: str }, ['type']),
    }),
    serviceAccountName: dnsSubdomain,
    automountServiceAccountToken: bool,
    terminationGracePeriodSeconds: int(),
    imagePullSecrets: array(closed({ name: dnsSubdomain }, ['name'])),
  },
  ['containers'],
);

const networkPolicyPeer = closed({
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: closed({ cidr: nonEmpty, except: array(str) }, ['cidr']),
});
const networkPolicyPort = closed({ port: intOrPortName, endPort: port, protocol: { enum: ['TCP', 'UDP', 'SCTP'] } });

const object = (apiVersion: string, kind: string, spec: Schema | undefined, specRequired = true): Schema => ({
  type: 'object',
  properties: {
    apiVersion: { const: apiVersion },
    kind: { const: kind },
    metadata,
    ...(spec === undefined ? {} : { spec }),
  },
  required: ['apiVersion', 'kind', 'metadata', ...(spec !== undefined && specRequired ? ['spec'] : [])],
  additionalProperties: false,
});

/** The kinds this repository ships, by `apiVersion kind`. */
export const KIND_SCHEMAS: Readonly<Record<string, Schema>> = {
  'v1 Namespace': object('v1', 'Namespace', undefined),
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
