import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_DEFAULTS, ConfigError, loadChatTemplate, loadConfig, loadOrchestratorStartup, parseFlags } from './config';

describe('orchestrator config', () => {
  it('defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual(CONFIG_DEFAULTS);
  });

  it('reads env (empty = unset) and overrides win', () => {
    const config = loadConfig(
      { RELAYLLM_ORCHESTRATOR_PORT: '7000', RELAYLLM_NATS_URL: 'nats://10.0.0.1:4222', RELAYLLM_REDIS_URL: 'off', RELAYLLM_ORCHESTRATOR_MAX_QUEUED: '' },
      { port: '7001' },
    );
    expect(config).toMatchObject({ port: 7001, natsUrl: 'nats://10.0.0.1:4222', redisUrl: 'off', maxQueuedRequests: CONFIG_DEFAULTS.maxQueuedRequests });
  });

  it('reads the LLM ack timeout (0 turns it off)', () => {
    expect(loadConfig({}).llmAckTimeoutMs).toBe(2_000);
    expect(loadConfig({ RELAYLLM_ORCHESTRATOR_LLM_ACK_TIMEOUT_MS: '0' }).llmAckTimeoutMs).toBe(0);
    expect(() => loadConfig({ RELAYLLM_ORCHESTRATOR_LLM_ACK_TIMEOUT_MS: '-1' })).toThrow(/RELAYLLM_ORCHESTRATOR_LLM_ACK_TIMEOUT_MS/);
  });

  it('names every offending variable', () => {
    expect(() => loadConfig({ RELAYLLM_ORCHESTRATOR_PORT: 'x', RELAYLLM_REDIS_URL: 'http://nope', RELAYLLM_ORCHESTRATOR_MAX_CONCURRENT: '0' })).toThrow(ConfigError);
    try {
      loadConfig({ RELAYLLM_ORCHESTRATOR_PORT: 'x', RELAYLLM_REDIS_URL: 'http://nope', RELAYLLM_ORCHESTRATOR_MAX_CONCURRENT: '0' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('RELAYLLM_ORCHESTRATOR_PORT');
      expect(message).toContain('RELAYLLM_REDIS_URL');
      expect(message).toContain('RELAYLLM_ORCHESTRATOR_MAX_CONCURRENT');
    }
  });

  it('the chat template: RELAYLLM_CHAT_TEMPLATE or --chat-template (the flag wins), read at start; a bad file refuses the start naming the setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orchestrator-template-'));
    const jinja = join(dir, 'chat.jinja');
    writeFileSync(jinja, '{{ messages[0].content }}\n');
    expect(loadChatTemplate(loadConfig({}))).toBeUndefined();
    expect(loadChatTemplate(loadConfig({ RELAYLLM_CHAT_TEMPLATE: jinja }))).toEqual({ template: '{{ messages[0].content }}\n', origin: jinja });
    expect(parseFlags(['--chat-template', jinja])).toEqual({ chatTemplate: jinja });
    expect(parseFlags([`--chat-template=${jinja}`])).toEqual({ chatTemplate: jinja });
    const plain = { RELAYLLM_INSECURE: 'true' };
    const quiet = (): void => undefined;
    expect(loadOrchestratorStartup({ ...plain, RELAYLLM_CHAT_TEMPLATE: join(dir, 'other.jinja') }, ['--chat-template', jinja], quiet).chatTemplate?.origin).toBe(jinja);
    expect(() => loadChatTemplate(loadConfig({ RELAYLLM_CHAT_TEMPLATE: join(dir, 'missing.jinja') }))).toThrow(/RELAYLLM_CHAT_TEMPLATE .*cannot read/);
    writeFileSync(join(dir, 'empty.jinja'), ' ');
    expect(() => loadChatTemplate(loadConfig({ RELAYLLM_CHAT_TEMPLATE: join(dir, 'empty.jinja') }))).toThrow(ConfigError);
    expect(() => parseFlags(['--port', '1'])).toThrow(/unknown argument "--port"/);
    expect(() => parseFlags(['--chat-template'])).toThrow(/needs a value/);
  });

  it('start-up refuses plain channels unless plain mode is explicit, then tells each warning line', () => {
    const warnings: string[] = [];
    expect(() => loadOrchestratorStartup({}, [], (line) => warnings.push(line))).toThrow(/RELAYLLM_NATS_USER \+ RELAYLLM_NATS_PASSWORD/);
    const nats = { RELAYLLM_NATS_USER: 'relayllm-orchestrator', RELAYLLM_NATS_PASSWORD: 'pw' };
    expect(() => loadOrchestratorStartup(nats, [], (line) => warnings.push(line))).toThrow(/^RELAYLLM_REDIS_PASSWORD not set/);
    expect(() => loadOrchestratorStartup({ ...nats, RELAYLLM_REDIS_URL: 'off' }, [], (line) => warnings.push(line))).toThrow(/^RELAYLLM_SLM_TLS_CA_FILE/);
    expect(warnings).toEqual([]);
    loadOrchestratorStartup({ ...nats, RELAYLLM_REDIS_URL: 'off', RELAYLLM_SLM_INSECURE: 'true' }, [], (line) => warnings.push(line));
    expect(warnings).toEqual([expect.stringMatching(/^WARNING insecure mode: SLM streams without mutual TLS.*RELAYLLM_SLM_INSECURE=true/)]);
  });

  it('the HTTP port: off unless set (0 = any free port), on the same host; it must differ from the gRPC port', () => {
    expect(loadConfig({}).httpPort).toBeUndefined();
    expect(loadConfig({ RELAYLLM_ORCHESTRATOR_HTTP_PORT: ' ' }).httpPort).toBeUndefined();
    expect(loadConfig({ RELAYLLM_ORCHESTRATOR_HTTP_PORT: '8080', RELAYLLM_ORCHESTRATOR_HOST: '0.0.0.0' })).toMatchObject({ httpPort: 8080, host: '0.0.0.0' });
    expect(loadConfig({ RELAYLLM_ORCHESTRATOR_HTTP_PORT: '0', RELAYLLM_ORCHESTRATOR_PORT: '0' })).toMatchObject({ httpPort: 0, port: 0 });
    expect(() => loadConfig({ RELAYLLM_ORCHESTRATOR_HTTP_PORT: '65536' })).toThrow(/RELAYLLM_ORCHESTRATOR_HTTP_PORT: must be an integer in \[0, 65535\]/);
    expect(() => loadConfig({ RELAYLLM_ORCHESTRATOR_HTTP_PORT: 'http' })).toThrow(/RELAYLLM_ORCHESTRATOR_HTTP_PORT/);
    expect(() => loadConfig({ RELAYLLM_ORCHESTRATOR_HTTP_PORT: '50051' })).toThrow(/RELAYLLM_ORCHESTRATOR_HTTP_PORT: must differ from the gRPC port/);
  });

  it('the default max tokens of an HTTP request: 256, at most the max tokens limit', () => {
    expect(loadConfig({}).defaultMaxTokens).toBe(256);
    expect(loadConfig({ RELAYLLM_ORCHESTRATOR_DEFAULT_MAX_TOKENS: '64' }).defaultMaxTokens).toBe(64);
    expect(() => loadConfig({ RELAYLLM_ORCHESTRATOR_DEFAULT_MAX_TOKENS: '300', RELAYLLM_ORCHESTRATOR_MAX_TOKENS_LIMIT: '200' })).toThrow(
      /RELAYLLM_ORCHESTRATOR_DEFAULT_MAX_TOKENS: must not exceed the max tokens limit/,
    );
  });

  it('the request defaults: 5 turns and no floor unless set, validated once', () => {
    expect(loadConfig({})).toMatchObject({ defaultMaxTurns: 5, defaultConfidenceFloor: 0 });
    const set = loadConfig({ RELAYLLM_ORCHESTRATOR_DEFAULT_MAX_TURNS: '64', RELAYLLM_ORCHESTRATOR_DEFAULT_CONFIDENCE_FLOOR: '.5' });
    expect(set).toMatchObject({ defaultMaxTurns: 64, defaultConfidenceFloor: 0.5 });
    expect(() => loadConfig({ RELAYLLM_ORCHESTRATOR_DEFAULT_MAX_TURNS: '0' })).toThrow(/RELAYLLM_ORCHESTRATOR_DEFAULT_MAX_TURNS: must be an integer in \[1, 64\]/);
    expect(() => loadConfig({ RELAYLLM_ORCHESTRATOR_DEFAULT_CONFIDENCE_FLOOR: '2' })).toThrow(/RELAYLLM_ORCHESTRATOR_DEFAULT_CONFIDENCE_FLOOR: must be a number in \[0, 1\], got "2"/);
  });

  it('the context size is a cap: 0 (default) = the windows the workers describe', () => {
    expect(loadConfig({}).contextSize).toBe(0);
    expect(loadConfig({ RELAYLLM_ORCHESTRATOR_CONTEXT_SIZE: '4096' }).contextSize).toBe(4096);
    expect(() => loadConfig({ RELAYLLM_ORCHESTRATOR_CONTEXT_SIZE: '1' })).toThrow(/RELAYLLM_ORCHESTRATOR_CONTEXT_SIZE/);
  });
});
