import { CONFIG_DEFAULTS, ConfigError, loadConfig } from './config';

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
});
