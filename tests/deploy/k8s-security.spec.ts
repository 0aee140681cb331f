import { NATS_ROLE_USERS, NATS_ROLES, natsAuthorizationConfig, type NatsRole } from '@relayllm/security';
import { K8S_DIR, at, keyOf, kustomizeResources, type JsonObject } from './manifests';
import { join } from 'node:path';

/**
 * k8s/base is secure by default like the chart: NATS with a user per role
 * and libs/security's permissions, Redis with a password, mutual TLS on the
 * SLM streams, NetworkPolicies around NATS and Redis; the Secrets come from
 * k8s/make-secrets.sh (k8s-secrets.integration.spec.ts runs it).
 */

const objects = new Map(kustomizeResources(join(K8S_DIR, 'base')).map(({ object }) => [keyOf(object), object]));
const containerOf = (name: string): JsonObject => (at(objects.get(`Deployment/${name}`), ['spec', 'template', 'spec', 'containers']) as JsonObject[])[0];
const envOf = (name: string): Map<string, JsonObject> => new Map(((containerOf(name).env ?? []) as JsonObject[]).map((e) => [String(e.name), e]));
const secretRef = (entry: JsonObject | undefined): unknown => at(entry, ['valueFrom', 'secretKeyRef']);
const PASSWORD_VARIABLES: Record<NatsRole, string> = {
  orchestrator: 'NATS_ORCHESTRATOR_PASSWORD',
  'slm-worker': 'NATS_SLM_WORKER_PASSWORD',
  'llm-worker': 'NATS_LLM_WORKER_PASSWORD',
};

describe('k8s/base: secure by default', () => {
  it("NATS runs libs/security's users and permissions, passwords from relayllm-nats-auth", () => {
    const config = String(at(objects.get('ConfigMap/relayllm-nats-config'), ['data', 'nats.conf']));
    expect(config).toContain(natsAuthorizationConfig(PASSWORD_VARIABLES, true));
    expect(config).not.toContain('no_auth_user');
    expect(containerOf('relayllm-nats').args).toEqual(['-c', '/etc/nats/nats.conf']);
    const env = envOf('relayllm-nats');
    for (const role of NATS_ROLES) expect(secretRef(env.get(PASSWORD_VARIABLES[role]))).toEqual({ name: 'relayllm-nats-auth', key: `${role}-password` });
  });

  it.each(NATS_ROLES.map((role) => [role]))('%s connects as its own NATS user, never in plain mode', (role) => {
    const env = envOf(`relayllm-${role}`);
    expect(env.get('RELAYLLM_NATS_USER')?.value).toBe(NATS_ROLE_USERS[role]);
    expect(secretRef(env.get('RELAYLLM_NATS_PASSWORD'))).toEqual({ name: 'relayllm-nats-auth', key: `${role}-password` });
    expect([...env.keys()].filter((name) => name.endsWith('INSECURE'))).toEqual([]);
  });

  it('Redis requires the password the orchestrators send', () => {
    expect(containerOf('relayllm-redis-master').args).toEqual(expect.arrayContaining(['--requirepass', '$(REDIS_PASSWORD)']));
    const auth = { name: 'relayllm-redis-auth', key: 'redis-password' };
    expect(secretRef(envOf('relayllm-redis-master').get('REDIS_PASSWORD'))).toEqual(auth);
    expect(secretRef(envOf('relayllm-orchestrator').get('RELAYLLM_REDIS_PASSWORD'))).toEqual(auth);
  });

  it('the SLM streams are mutual TLS: the worker requires client certificates, the orchestrator checks the worker name', () => {
    const worker = envOf('relayllm-slm-worker');
    for (const name of ['RELAYLLM_SLM_TLS_CERT_FILE', 'RELAYLLM_SLM_TLS_KEY_FILE', 'RELAYLLM_SLM_TLS_CLIENT_CA_FILE']) expect(worker.has(name)).toBe(true);
    const orchestrator = envOf('relayllm-orchestrator');
    for (const name of ['RELAYLLM_SLM_TLS_CA_FILE', 'RELAYLLM_SLM_TLS_CLIENT_CERT_FILE', 'RELAYLLM_SLM_TLS_CLIENT_KEY_FILE']) expect(orchestrator.has(name)).toBe(true);
    expect(orchestrator.get('RELAYLLM_SLM_TLS_SERVER_NAME')?.value).toBe('relayllm-slm-worker');
    const secretOf = (deployment: string): unknown =>
      ((at(objects.get(`Deployment/${deployment}`), ['spec', 'template', 'spec', 'volumes']) as JsonObject[]).find((v) => v.name === 'slm-tls') as JsonObject).secret;
    expect(secretOf('relayllm-slm-worker')).toEqual({ secretName: 'relayllm-slm-tls' });
    expect(secretOf('relayllm-orchestrator')).toEqual({ secretName: 'relayllm-slm-client-tls' });
  });

  it('NetworkPolicies cover NATS (the apps only) and Redis (the orchestrators only)', () => {
    const nats = objects.get('NetworkPolicy/relayllm-nats') as JsonObject;
    expect(at(nats, ['spec', 'podSelector', 'matchLabels', 'app.kubernetes.io/name'])).toBe('nats');
    const natsFrom = (at(nats, ['spec', 'ingress']) as JsonObject[])[0].from as JsonObject[];
    expect(at(natsFrom[0], ['podSelector', 'matchExpressions'])).toEqual([
      { key: 'app.kubernetes.io/component', operator: 'In', values: ['orchestrator', 'slm-worker', 'llm-worker'] },
    ]);
    const redis = objects.get('NetworkPolicy/relayllm-redis') as JsonObject;
    expect(at(redis, ['spec', 'podSelector', 'matchLabels', 'app.kubernetes.io/name'])).toBe('redis');
    const redisFrom = (at(redis, ['spec', 'ingress']) as JsonObject[])[0].from as JsonObject[];
    expect(redisFrom.map((peer) => at(peer, ['podSelector', 'matchLabels', 'app.kubernetes.io/component']) ?? at(peer, ['podSelector', 'matchLabels', 'app.kubernetes.io/name']))).toEqual([
      'orchestrator',
      'redis',
    ]);
  });
});
