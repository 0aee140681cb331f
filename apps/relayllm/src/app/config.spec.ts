import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'path';
import { CONFIG_DEFAULTS, ConfigError, loadApiSecurity, loadConfig, modelSources, REPO_ROOT } from './config';

describe('loadConfig', () => {
  it('uses the named defaults when nothing is set (models/reference under the repository)', () => {
    const config = loadConfig({ env: {} });
    expect(config).toEqual(CONFIG_DEFAULTS);
    expect(config.modelsDir).toBe(resolve(REPO_ROOT, 'models/reference'));
    expect(config.port).toBe(50051);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads RELAYLLM_* variables; flags win; empty values count as unset', () => {
    const config = loadConfig({
      env: { RELAYLLM_PORT: '6000', RELAYLLM_HOST: '0.0.0.0', RELAYLLM_THREADS: '2', RELAYLLM_MODELS_DIR: '', RELAYLLM_GPU: 'off' },
      flags: { port: '7000', modelsDir: 'some/dir' },
    });
    expect(config).toMatchObject({ port: 7000, host: '0.0.0.0', threads: 2, gpu: 'off', modelsDir: resolve('some/dir') });
  });

  it('names every offending variable or flag', () => {
    const load = (): unknown =>
      loadConfig({ env: { RELAYLLM_PORT: '99999', RELAYLLM_SEQUENCES: 'four', RELAYLLM_GPU: 'cuda' }, flags: { host: ' ' , port: 'x' } });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/--port: must be an integer in \[0, 65535\], got "x"/);
    expect(load).toThrow(/RELAYLLM_SEQUENCES: must be an integer in \[1, 64\], got "four"/);
    expect(load).toThrow(/RELAYLLM_GPU: /);
  });

  it('the request defaults: 5 turns and no floor unless set; a turn count past the ceiling or a floor outside [0, 1] is refused, naming the variable', () => {
    expect(loadConfig({ env: {} })).toMatchObject({ defaultMaxTurns: 5, defaultConfidenceFloor: 0 });
    expect(loadConfig({ env: { RELAYLLM_DEFAULT_MAX_TURNS: '64', RELAYLLM_DEFAULT_CONFIDENCE_FLOOR: '0.7' } })).toMatchObject({ defaultMaxTurns: 64, defaultConfidenceFloor: 0.7 });
    expect(() => loadConfig({ env: { RELAYLLM_DEFAULT_MAX_TURNS: '65' } })).toThrow(/RELAYLLM_DEFAULT_MAX_TURNS: must be an integer in \[1, 64\], got "65"/);
    for (const raw of ['1.5', '-0.1', 'high', '0x1', '1e-1']) {
      expect(() => loadConfig({ env: { RELAYLLM_DEFAULT_CONFIDENCE_FLOOR: raw } })).toThrow(`RELAYLLM_DEFAULT_CONFIDENCE_FLOOR: must be a number in [0, 1], got "${raw}"`);
    }
  });

  it('rejects a default max tokens above the max tokens limit', () => {
    expect(() => loadConfig({ env: { RELAYLLM_MAX_TOKENS_LIMIT: '100', RELAYLLM_DEFAULT_MAX_TOKENS: '200' } })).toThrow(
      /RELAYLLM_DEFAULT_MAX_TOKENS: must not exceed the max tokens limit/,
    );
  });
});

describe('the model pair', () => {
  it('is the two files of the models directory unless --slm / --llm name a GGUF file or a server', () => {
    expect(modelSources(loadConfig({ env: {}, flags: { modelsDir: 'pair' } }))).toEqual({
      slm: { kind: 'gguf', path: resolve('pair/slm.gguf') },
      llm: { kind: 'gguf', path: resolve('pair/llm.gguf') },
    });
    const mixed = loadConfig({ env: { RELAYLLM_LLM_MODEL: 'http://127.0.0.1:8000/v1#teacher' }, flags: { slmModel: 'q/slm.gguf', chatTemplate: 't.jinja' } });
    expect(modelSources(mixed)).toEqual({
      slm: { kind: 'gguf', path: resolve('q/slm.gguf') },
      llm: { kind: 'endpoint', baseUrl: 'http://127.0.0.1:8000', model: 'teacher' },
    });
    expect(mixed.chatTemplate).toBe(resolve('t.jinja'));
  });

  it('a model that is neither a .gguf file nor an http(s) URL is refused, naming the flag or variable', () => {
    expect(() => loadConfig({ env: {}, flags: { slmModel: 'models/reference' } })).toThrow(/--slm: must be a \.gguf file/);
    expect(() => loadConfig({ env: { RELAYLLM_LLM_MODEL: 'grpc://h:1' } })).toThrow(/RELAYLLM_LLM_MODEL: must be an http\(s\) URL/);
  });
});

describe('the HTTP port and API security', () => {
  it('the HTTP port is off unless set; the flag wins; a bad value names it', () => {
    expect(loadConfig({ env: {} }).httpPort).toBeUndefined();
    expect(loadConfig({ env: { RELAYLLM_HTTP_PORT: '8080' } }).httpPort).toBe(8080);
    expect(loadConfig({ env: { RELAYLLM_HTTP_PORT: '8080' }, flags: { httpPort: '0' } }).httpPort).toBe(0);
    expect(() => loadConfig({ env: {}, flags: { httpPort: 'http' } })).toThrow(/--http-port: must be an integer in \[0, 65535\], got "http"/);
  });

  it('reads the API keys and the quota as the orchestrator does; refuses TLS settings, naming them', () => {
    expect(loadApiSecurity({})).toEqual({ apiKeys: undefined, quotaLlmTokensPerMinute: 0 });
    const security = loadApiSecurity({ RELAYLLM_API_KEYS: 'team-a:0123456789abcdef0123', RELAYLLM_QUOTA_LLM_TOKENS_PER_MINUTE: '600' });
    expect([security.apiKeys?.identify('0123456789abcdef0123'), security.quotaLlmTokensPerMinute]).toEqual(['team-a', 600]);
    expect(() => loadApiSecurity({ RELAYLLM_API_KEYS: 'team-a:short' })).toThrow(ConfigError);
    const dir = mkdtempSync(join(tmpdir(), 'relayllm-tls-'));
    try {
      for (const name of ['c.pem', 'k.pem']) writeFileSync(join(dir, name), '-----BEGIN PLACEHOLDER-----\n');
      expect(() => loadApiSecurity({ RELAYLLM_API_TLS_CERT_FILE: join(dir, 'c.pem'), RELAYLLM_API_TLS_KEY_FILE: join(dir, 'k.pem') })).toThrow(
        /RELAYLLM_API_TLS_CERT_FILE: the embedded server serves no TLS/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
