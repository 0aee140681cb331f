/** The building blocks of k8s-schema.ts's kind schemas: JSON Schema pieces for the Kubernetes API types. */
export type Schema = Record<string, unknown>;

export const str: Schema = { type: 'string' };
export const nonEmpty: Schema = { type: 'string', minLength: 1 };
export const bool: Schema = { type: 'boolean' };
export const int = (minimum = 0, maximum?: number): Schema => ({ type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }) });
export const port = int(1, 65_535);
/** DNS-1123 subdomain (object names). */
export const dnsSubdomain: Schema = { type: 'string', maxLength: 253, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' };
/** DNS-1123 label (container, port-less names). */
export const dnsLabel: Schema = { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
/** IANA service name (named ports): at most 15 characters, a letter in it. */
export const portName: Schema = { type: 'string', maxLength: 15, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' };
export const intOrPortName: Schema = { anyOf: [port, portName] };
export const quantity: Schema = { anyOf: [{ type: 'string', pattern: '^[+]?[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$' }, { type: 'number', minimum: 0 }] };
export const stringMap: Schema = { type: 'object', additionalProperties: str };
export const labelMap: Schema = {
  type: 'object',
  propertyNames: { pattern: '^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$' },
  additionalProperties: { type: 'string', maxLength: 63, pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$' },
};
export const closed = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
export const array = (items: Schema, minItems = 0): Schema => ({ type: 'array', items, minItems });

export const labelSelector = closed({
  matchLabels: labelMap,
  matchExpressions: array(closed({ key: nonEmpty, operator: { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }, values: array(str) }, ['key', 'operator'])),
});

export const metadata = closed(
  {
    name: dnsSubdomain,
    namespace: dnsLabel,
    labels: labelMap,
    annotations: stringMap,
  },
  ['name'],
);

export const resources = closed({
  requests: { type: 'object', additionalProperties: quantity },
  limits: { type: 'object', additionalProperties: quantity },
});

export const handlers = {
  httpGet: closed({ path: str, port: intOrPortName, scheme: { enum: ['HTTP', 'HTTPS'] }, host: str }, ['port']),
  tcpSocket: closed({ port: intOrPortName, host: str }, ['port']),
  grpc: closed({ port, service: str }, ['port']),
  exec: closed({ command: array(str, 1) }, ['command']),
};
/** Exactly one handler (a patch may null one out: `grpc: null`). */
export const probe: Schema = {
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

export const envVar = closed(
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

export const containerSecurityContext = closed({
  allowPrivilegeEscalation: bool,
  readOnlyRootFilesystem: bool,
  privileged: bool,
  runAsNonRoot: bool,
  runAsUser: int(),
  runAsGroup: int(),
  capabilities: closed({ drop: array(str), add: array(str) }),
  seccompProfile: closed({ type: { enum: ['RuntimeDefault', 'Localhost', 'Unconfined'] }, localhostProfile: str }, ['type']),
});

export const container = closed(
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

export const volume = {
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

export const podSpec = closed(
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

export const networkPolicyPeer = closed({
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: closed({ cidr: nonEmpty, except: array(str) }, ['cidr']),
});
export const networkPolicyPort = closed({ port: intOrPortName, endPort: port, protocol: { enum: ['TCP', 'UDP', 'SCTP'] } });

export const object = (apiVersion: string, kind: string, spec: Schema | undefined, specRequired = true): Schema => ({
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
