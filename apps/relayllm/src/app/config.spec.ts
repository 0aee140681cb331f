import { resolve } from 'path';
import { CONFIG_DEFAULTS, ConfigError, loadConfig, REPO_ROOT } from './config';

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

  it('rejects a default max tokens above the max tokens limit', () => {
    expect(() => loadConfig({ env: { RELAYLLM_MAX_TOKENS_LIMIT: '100', RELAYLLM_DEFAULT_MAX_TOKENS: '200' } })).toThrow(
      /RELAYLLM_DEFAULT_MAX_TOKENS: must not exceed the max tokens limit/,
    );
  });
});
