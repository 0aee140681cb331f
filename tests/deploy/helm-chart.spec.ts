import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Ajv from 'ajv';
import { DEFAULT_SERVER_LIMITS } from '@relayllm/relay-core';
import { CONFIG_DEFAULTS, CONFIG_ENV } from '../../apps/orchestrator/src/app/config';
import { CHART_DIR, at, filesUnder, loadYaml, mergeValues, type Json, type JsonObject } from './manifests';

/**
 * The chart's offline checks (the real helm renders it in
 * helm-template.integration.spec.ts; kubeconform runs in
 * .github/workflows/deploy-checks.yml):
 * values.yaml (alone and with values-production.yaml) validates against
 * values.schema.json, and every `.Values.x.y` a template reads exists in
 * values.yaml.
 */

const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);
const values = loadYaml(join(CHART_DIR, 'values.yaml'));
const production = mergeValues(values, loadYaml(join(CHART_DIR, 'values-production.yaml')));
const templates = filesUnder(join(CHART_DIR, 'templates'), ['.yaml', '.tpl', '.txt']);

const errorsOf = (candidate: JsonObject): string[] => (validate(candidate) ? [] : (validate.errors ?? []).map((e) => `${e.dataPath} ${e.message}`));
const withValue = (path: string[], value: Json): JsonObject => {
  const patch: JsonObject = {};
  let cursor = patch;
  path.slice(0, -1).forEach((step) => {
    cursor[step] = {};
    cursor = cursor[step] as JsonObject;
  });
  cursor[path[path.length - 1]] = value;
  return mergeValues(values, patch);
};

/**
 * The `.Values` paths a template reads: `.Values.a.b` (also `$.Values`,
 * `.root.Values`), and `$x.c` where the file binds `$x := .Values.a`.
 */
export function valuesPathsOf(text: string): string[][] {
  const paths: string[][] = [];
  const aliases = new Map<string, string[]>();
  for (const match of text.matchAll(/\$(\w+)\s*:=\s*\.Values((?:\.\w+)+)/g)) aliases.set(match[1], match[2].slice(1).split('.'));
  for (const match of text.matchAll(/\.Values((?:\.\w+)+)/g)) paths.push(match[1].slice(1).split('.'));
  for (const match of text.matchAll(/\$(\w+)((?:\.\w+)+)/g)) {
    const base = aliases.get(match[1]);
    if (base !== undefined) paths.push([...base, ...match[2].slice(1).split('.')]);
  }
  return paths;
}

describe('Helm chart deploy/helm/relayllm', () => {
  it('Chart.yaml: apiVersion v2, a version, and a values switch for each optional dependency', () => {
    const chart = loadYaml(join(CHART_DIR, 'Chart.yaml'));
    expect(chart.apiVersion).toBe('v2');
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+$/);
    const dependencies = chart.dependencies as JsonObject[];
    expect(dependencies.map((d) => d.name).sort()).toEqual(['nats', 'redis']);
    for (const dependency of dependencies) expect(typeof at(values, String(dependency.condition).split('.'))).toBe('boolean');
  });

  it('values.yaml validates against values.schema.json', () => {
    expect(errorsOf(values)).toEqual([]);
  });

  it('values.yaml merged with values-production.yaml validates, and turns every security feature on', () => {
    expect(errorsOf(production)).toEqual([]);
    expect(at(production, ['security', 'tls', 'enabled'])).toBe(true);
    expect(at(production, ['security', 'tls', 'clientAuth'])).toBe('require');
    expect(at(production, ['security', 'apiKeys', 'enabled'])).toBe(true);
    expect(at(production, ['security', 'quota', 'llmTokensPerMinute'])).toBeGreaterThan(0);
    expect(at(production, ['natsClient', 'authMode'])).not.toBe('none');
    expect(at(production, ['natsClient', 'tls', 'enabled'])).toBe(true);
    expect(at(production, ['redisClient', 'passwordSecret'])).not.toBe('');
    expect(at(production, ['redisClient', 'tls', 'enabled'])).toBe(true);
    expect(at(production, ['networkPolicy', 'enabled'])).toBe(true);
    expect(at(production, ['containerSecurityContext', 'readOnlyRootFilesystem'])).toBe(true);
    expect(at(production, ['podSecurityContext', 'runAsNonRoot'])).toBe(true);
  });

  it.each([
    ['a port that is a string', ['orchestrator', 'port'], '50051'],
    ['an unknown engine', ['llmWorker', 'engine'], 'tgi'],
    ['a misspelt key', ['orchestrator', 'replica'], 2],
    ['mTLS without a client CA', ['security', 'tls'], { enabled: true, secretName: 'tls', clientAuth: 'require', clientCaSecret: '' }],
    ['TLS without a Secret', ['security', 'tls'], { enabled: true, secretName: '', clientAuth: 'none', clientCaSecret: '' }],
    ['API keys without a Secret', ['security', 'apiKeys', 'enabled'], true],
    ['NATS auth without a Secret', ['natsClient'], { authMode: 'token', authSecret: '', generateSecret: false, tls: { enabled: false, secretName: '', clientCert: false } }],
    ['the OpenAI engine without a URL', ['llmWorker', 'engine'], 'openai'],
    ['no NATS at all', ['nats', 'enabled'], false],
    ['a negative quota', ['security', 'quota', 'llmTokensPerMinute'], -1],
    ['a bad Redis url', ['externalRedis', 'url'], 'http://redis'],
    ['a model source that is neither a .gguf nor an http(s) URL', ['slmWorker', 'modelSource'], 'ftp://models/slm'],
    ['a negative context length', ['llmWorker', 'contextLength'], -1],
    ['a chat template key that is a path', ['orchestrator', 'chatTemplate', 'key'], 'templates/chat.jinja'],
    ['an HTTP port that is a string', ['orchestrator', 'http', 'port'], '8080'],
    ['an HTTP port out of range', ['orchestrator', 'http', 'port'], 70000],
    ['an HTTP switch that is not a boolean', ['orchestrator', 'http', 'enabled'], 'yes'],
    ['a default of 0 turns', ['orchestrator', 'requestDefaults', 'maxTurns'], 0],
    ['a default past the turn ceiling', ['orchestrator', 'requestDefaults', 'maxTurns'], DEFAULT_SERVER_LIMITS.maxTurnsCeiling + 1],
    ['a default turn count that is not an integer', ['orchestrator', 'requestDefaults', 'maxTurns'], 5.5],
    ['a default floor above 1', ['orchestrator', 'requestDefaults', 'confidenceFloor'], 1.5],
    ['a negative default floor', ['orchestrator', 'requestDefaults', 'confidenceFloor'], -0.1],
    ['a default floor string above 1', ['orchestrator', 'requestDefaults', 'confidenceFloor'], '1.5'],
    ['a default floor string the app cannot read', ['orchestrator', 'requestDefaults', 'confidenceFloor'], '7e-1'],
  ])('the schema rejects %s', (_what, path, value) => {
    expect(errorsOf(withValue(path as string[], value as Json)).length).toBeGreaterThan(0);
  });

  it("the orchestrator's HTTP API is on by default at 8080, beside gRPC, and reaches the container, the Service and the NetworkPolicy", () => {
    expect(at(values, ['orchestrator', 'http'])).toEqual({ enabled: true, port: 8080 });
    expect(at(values, ['orchestrator', 'http', 'port'])).not.toBe(at(values, ['orchestrator', 'port']));
    expect(errorsOf(withValue(['orchestrator', 'http'], { enabled: false, port: 8080 }))).toEqual([]);
    const read = (name: string): string => readFileSync(join(CHART_DIR, 'templates', name), 'utf8');
    const deployment = read('orchestrator-deployment.yaml');
    expect(deployment).toMatch(/name: http, containerPort: \{\{ \$o\.http\.port \}\}/);
    expect(deployment).toMatch(/RELAYLLM_ORCHESTRATOR_HTTP_PORT\s+value: \{\{ \$o\.http\.port \| quote \}\}/);
    expect(deployment).toContain('fail "orchestrator.http.port must differ');
    expect(read('orchestrator-service.yaml')).toMatch(/name: http, port: \{\{ \.Values\.orchestrator\.http\.port \}\}, targetPort: http/);
    expect(read('networkpolicy.yaml')).toMatch(/- \{ port: \{\{ \.Values\.orchestrator\.http\.port \}\}, protocol: TCP \}/);
    for (const file of ['orchestrator-deployment.yaml', 'orchestrator-service.yaml', 'networkpolicy.yaml', 'NOTES.txt']) {
      expect({ file, switched: read(file).includes('.http.enabled') }).toEqual({ file, switched: true });
    }
  });

  it("orchestrator.requestDefaults are the orchestrator's own defaults and bounds, and reach its container as the settings it reads", () => {
    expect(at(values, ['orchestrator', 'requestDefaults'])).toEqual({ maxTurns: CONFIG_DEFAULTS.defaultMaxTurns, confidenceFloor: CONFIG_DEFAULTS.defaultConfidenceFloor });
    // The card's floor row (64 turns, T 0.7); --set passes 0.7 as a string.
    for (const floor of [0.7, '0.7', 0, 1, '.5']) {
      expect({ floor, errors: errorsOf(withValue(['orchestrator', 'requestDefaults'], { maxTurns: DEFAULT_SERVER_LIMITS.maxTurnsCeiling, confidenceFloor: floor })) }).toEqual({ floor, errors: [] });
    }
    const deployment = readFileSync(join(CHART_DIR, 'templates', 'orchestrator-deployment.yaml'), 'utf8');
    expect(deployment).toMatch(new RegExp(`- name: ${CONFIG_ENV.defaultMaxTurns}\\s+value: \\{\\{ \\$o\\.requestDefaults\\.maxTurns \\| quote \\}\\}`));
    expect(deployment).toMatch(new RegExp(`- name: ${CONFIG_ENV.defaultConfidenceFloor}\\s+value: \\{\\{ \\$o\\.requestDefaults\\.confidenceFloor \\| quote \\}\\}`));
  });

  it('reads the template paths of the alias forms', () => {
    expect(valuesPathsOf('{{- $o := .Values.orchestrator -}} {{ $o.port }} {{ .root.Values.image.tag }} {{ $.Values.metrics.port }}')).toEqual([
      ['orchestrator'],
      ['image', 'tag'],
      ['metrics', 'port'],
      ['orchestrator', 'port'],
    ]);
  });

  it.each(templates.map((file) => [basename(file), file]))('every .Values path %s reads exists in values.yaml', (_name, file) => {
    const missing = valuesPathsOf(readFileSync(file, 'utf8'))
      .filter((path) => at(values, path) === undefined)
      .map((path) => path.join('.'));
    expect(missing).toEqual([]);
  });

  it('every template helper that is included is defined, and actions are balanced', () => {
    const all = templates.map((file) => readFileSync(file, 'utf8')).join('\n');
    const defined = new Set([...all.matchAll(/\{\{-?\s*define\s+"([^"]+)"/g)].map((m) => m[1]));
    const included = new Set([...all.matchAll(/include\s+"([^"]+)"/g)].map((m) => m[1]));
    for (const name of included) expect({ name, defined: defined.has(name) }).toMatchObject({ defined: true });
    for (const file of templates) {
      const text = readFileSync(file, 'utf8');
      expect({ file: basename(file), open: text.split('{{').length }).toEqual({ file: basename(file), open: text.split('}}').length });
      const opens = [...text.matchAll(/\{\{-?\s*(if|range|with|define)\b/g)].length;
      const ends = [...text.matchAll(/\{\{-?\s*end\s*-?\}\}/g)].length;
      expect({ file: basename(file), blocks: opens }).toEqual({ file: basename(file), blocks: ends });
    }
  });

  it('the templates cover what the issue asks for', () => {
    const all = templates.map((file) => readFileSync(file, 'utf8')).join('\n');
    for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'ScaledObject', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor']) {
      expect(all).toContain(`kind: ${kind}`);
    }
    for (const needle of [
      'nvidia.com/gpu',
      'grpc: { port:',
      'nodeSelector',
      'tolerations',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'RELAYLLM_LLM_OPENAI_BASE_URL',
      'readOnlyRootFilesystem',
      'RELAYLLM_SLM_MODEL_SOURCE',
      'RELAYLLM_LLM_MODEL_SOURCE',
      'RELAYLLM_CHAT_TEMPLATE',
      'RELAYLLM_ORCHESTRATOR_HTTP_PORT',
    ]) {
      expect(all + JSON.stringify(values)).toContain(needle);
    }
  });
});
