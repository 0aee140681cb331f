import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { NATS_RESPONSE_WINDOW, NATS_ROLE_PERMISSIONS, NATS_ROLE_USERS, NATS_ROLES } from '@relayllm/security';
import { CHART_DIR, at, loadYaml, mergeValues, type Json, type JsonObject } from './manifests';

/**
 * The chart is secure by default inside the release (offline checks, as the
 * other chart checks; helm-template.integration.spec.ts renders it with the
 * real helm): NATS with a user per role
 * and the same subject permissions as libs/security, Redis with a password,
 * mutual TLS on the SLM streams, secrets generated when not given and kept
 * across upgrades, NetworkPolicies around NATS and Redis, and plain mode only
 * with `insecure: true`.
 */

const values = loadYaml(join(CHART_DIR, 'values.yaml'));
const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as object);
const template = (name: string): string => readFileSync(join(CHART_DIR, 'templates', name), 'utf8');
const patched = (patch: JsonObject): JsonObject => mergeValues(values, patch);

describe('Helm chart: secure by default', () => {
  it('defaults: NATS users per role, Redis password, SLM mutual TLS, all generated, NetworkPolicies on, plain mode off', () => {
    expect(at(values, ['insecure'])).toBe(false);
    expect(at(values, ['natsClient'])).toMatchObject({ authMode: 'roles', authSecret: 'relayllm-nats-auth', generateSecret: true });
    expect(at(values, ['redis', 'auth'])).toMatchObject({ enabled: true, existingSecret: at(values, ['redisClient', 'passwordSecret']) });
    expect(at(values, ['redisClient'])).toMatchObject({ passwordSecret: 'relayllm-redis-auth', generateSecret: true });
    expect(at(values, ['slmWorker', 'tls'])).toMatchObject({ enabled: true, generate: true, serverName: 'relayllm-slm-worker' });
    expect(at(values, ['networkPolicy', 'enabled'])).toBe(true);
    // The dependency's own policy would let any pod reach Redis; ours lets only the orchestrators.
    expect(at(values, ['redis', 'networkPolicy', 'enabled'])).toBe(false);
  });

  it("NATS users and permissions are libs/security's table, passwords from the generated Secret, no default user", () => {
    const users = at(values, ['nats', 'config', 'merge', 'authorization', 'users']) as JsonObject[];
    const env = at(values, ['nats', 'container', 'env']) as JsonObject;
    expect(users.map((u) => u.user)).toEqual(NATS_ROLES.map((role) => NATS_ROLE_USERS[role]));
    NATS_ROLES.forEach((role, i) => {
      const expected = NATS_ROLE_PERMISSIONS[role];
      const permissions: JsonObject = { publish: { allow: [...expected.publish] }, subscribe: { allow: [...expected.subscribe] } };
      if (expected.responses) permissions.allow_responses = { ...NATS_RESPONSE_WINDOW };
      expect(users[i].permissions).toEqual(permissions);
      const variable = /^<< \$(\w+) >>$/.exec(String(users[i].password))?.[1] ?? '';
      expect(at(env, [variable, 'valueFrom', 'secretKeyRef'])).toEqual({ name: at(values, ['natsClient', 'authSecret']), key: `${role}-password` });
    });
    expect(JSON.stringify(values)).not.toContain('no_auth_user');
  });

  it.each([
    ['NATS without credentials', { natsClient: { authMode: 'none' } }],
    ['SLM streams without TLS', { slmWorker: { tls: { enabled: false } } }],
  ])('the schema refuses %s unless insecure is true', (_what, patch) => {
    expect(validate(patched(patch as JsonObject))).toBe(false);
    expect(validate(patched({ ...(patch as JsonObject), insecure: true }))).toBe(true);
  });

  it('the templates refuse an unprotected channel without insecure (checkSecureDefaults, rendered first)', () => {
    const helpers = template('_helpers.tpl');
    for (const what of ['natsClient.authMode none', 'slmWorker.tls.enabled false', 'redis.auth.enabled false', 'redisClient.passwordSecret is empty']) {
      expect(helpers).toContain(`fail "${what}`);
    }
    expect(template('generated-secrets.yaml')).toMatch(/^[\s\S]*?\{\{- include "relayllm\.checkSecureDefaults" \. -\}\}/);
    expect(helpers).toMatch(/if \$v\.insecure \}\}\n- name: RELAYLLM_INSECURE/);
  });

  it('generates what is not given, stable across upgrades, kept on uninstall', () => {
    const secrets = template('generated-secrets.yaml');
    expect(template('_helpers.tpl')).toContain('lookup "v1" "Secret" .root.Release.Namespace .name');
    for (const needle of ['randAlphaNum', 'genCA', 'genSignedCert $tls.serverName', 'helm.sh/resource-policy: keep', 'natsClient.generateSecret', 'redisClient.generateSecret']) {
      expect(secrets).toContain(needle);
    }
    // An existing value wins over a fresh one; both certificates are renewed together (same CA).
    expect(secrets).toContain('get $existing $key | default');
    expect(secrets).toContain('if not (and (get $worker "tls.crt") (get $client "tls.crt"))');
    const certificates = template('slm-certificates.yaml');
    expect(certificates).toContain('.Values.certManager.enabled');
    expect(certificates.match(/kind: Certificate\n/g)?.length).toBe(3);
    expect(certificates).toContain('usages: [server auth]');
    expect(certificates).toContain('usages: [client auth]');
  });

  it.each([
    ['orchestrator-deployment.yaml', 'orchestrator', ['RELAYLLM_SLM_TLS_CA_FILE', 'RELAYLLM_SLM_TLS_CLIENT_CERT_FILE', 'RELAYLLM_SLM_TLS_CLIENT_KEY_FILE', 'RELAYLLM_SLM_TLS_SERVER_NAME', 'RELAYLLM_REDIS_PASSWORD']],
    ['slm-worker-deployment.yaml', 'slm-worker', ['RELAYLLM_SLM_TLS_CERT_FILE', 'RELAYLLM_SLM_TLS_KEY_FILE', 'RELAYLLM_SLM_TLS_CLIENT_CA_FILE']],
    ['llm-worker-deployment.yaml', 'llm-worker', []],
  ])('%s: its NATS role and its TLS settings', (file, role, settings) => {
    const text = template(file);
    expect(text).toContain(`include "relayllm.roleEnv" (dict "root" . "role" "${role}")`);
    for (const setting of settings as string[]) expect(text).toContain(`- name: ${setting}`);
  });

  it('NetworkPolicies cover NATS (the release\'s apps only) and Redis (the orchestrators only)', () => {
    const policies = template('networkpolicy.yaml');
    const nats = policies.slice(policies.indexOf('-nats\n'), policies.indexOf('-redis\n'));
    const redis = policies.slice(policies.indexOf('-redis\n'));
    expect(nats).toMatch(/podSelector:\n\s+matchLabels: \{ app\.kubernetes\.io\/name: nats,/);
    expect(nats).toContain('values: [orchestrator, slm-worker, llm-worker]');
    expect(nats).toContain('port: {{ $np.natsPort }}');
    expect(redis).toMatch(/podSelector:\n\s+matchLabels: \{ app\.kubernetes\.io\/name: redis,/);
    expect(redis).toContain('(dict "root" . "component" "orchestrator")');
    expect(redis).not.toContain('slm-worker');
    expect(redis).toContain('port: {{ $np.redisPort }}');
  });

  it('values-production.yaml keeps the same protection with brought secrets', () => {
    const production = mergeValues(values, loadYaml(join(CHART_DIR, 'values-production.yaml')));
    expect(validate(production)).toBe(true);
    expect(at(production, ['natsClient'])).toMatchObject({ authMode: 'roles', generateSecret: false });
    expect(at(production, ['slmWorker', 'tls'])).toMatchObject({ enabled: true, generate: false, clientSecretName: 'relayllm-slm-client-tls' });
    expect(at(production, ['nats', 'config', 'merge', 'authorization', 'users'])).toEqual(at(values, ['nats', 'config', 'merge', 'authorization', 'users']) as Json);
  });
});
