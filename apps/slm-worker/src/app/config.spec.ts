import { advertisedAddress, loadSlmWorkerConfig, SLM_WORKER_DEFAULTS } from './config';

describe('SLM worker config', () => {
  it('applies the named defaults', () => {
    const config = loadSlmWorkerConfig({});
    expect(config).toMatchObject({
      host: SLM_WORKER_DEFAULTS.host,
      port: 50061,
      maxSequences: 4,
      flushTokens: 16,
      flushMs: 4,
      modelPath: SLM_WORKER_DEFAULTS.modelPath,
      natsUrl: 'nats://127.0.0.1:4222',
    });
    expect(config.modelPath.endsWith('models/reference/slm.gguf')).toBe(true);
    expect(config.workerId).toMatch(/^slm-/);
  });

  it('reads RELAYLLM_* variables', () => {
    const config = loadSlmWorkerConfig({ RELAYLLM_SLM_PORT: '0', RELAYLLM_SLM_MAX_SEQUENCES: '2', RELAYLLM_WORKER_ID: 'w1', RELAYLLM_SLM_FLUSH_TOKENS: '8' });
    expect(config).toMatchObject({ port: 0, maxSequences: 2, workerId: 'w1', flushTokens: 8 });
  });

  it('RELAYLLM_SLM_MODEL_SOURCE: a .gguf file or an OpenAI-compatible URL', () => {
    expect(loadSlmWorkerConfig({ RELAYLLM_SLM_MODEL_SOURCE: 'http://vllm:8000#student' }).modelSource).toEqual({ kind: 'endpoint', baseUrl: 'http://vllm:8000', model: 'student' });
    expect(loadSlmWorkerConfig({}).modelSource).toBeUndefined();
    expect(() => loadSlmWorkerConfig({ RELAYLLM_SLM_MODEL_SOURCE: 'student.bin' })).toThrow(/RELAYLLM_SLM_MODEL_SOURCE/);
  });

  it('lists every bad variable in one error', () => {
    const bad = { RELAYLLM_SLM_PORT: '70000', RELAYLLM_SLM_MAX_SEQUENCES: '0', RELAYLLM_GPU: 'maybe' };
    for (const name of Object.keys(bad)) expect(() => loadSlmWorkerConfig(bad)).toThrow(new RegExp(`${name}: `));
    expect(() => loadSlmWorkerConfig({ RELAYLLM_SLM_ADVERTISE_ADDRESS: 'no-port' })).toThrow(/RELAYLLM_SLM_ADVERTISE_ADDRESS/);
  });

  it('advertises host:bound port unless told otherwise', () => {
    expect(advertisedAddress(loadSlmWorkerConfig({}), 1234)).toBe('127.0.0.1:1234');
    expect(advertisedAddress(loadSlmWorkerConfig({ RELAYLLM_SLM_HOST: '0.0.0.0' }), 5)).toBe('127.0.0.1:5');
    expect(advertisedAddress(loadSlmWorkerConfig({ RELAYLLM_SLM_ADVERTISE_ADDRESS: 'slm-0.svc:50061' }), 5)).toBe('slm-0.svc:50061');
  });
});
