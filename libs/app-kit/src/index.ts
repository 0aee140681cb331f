// What every RelayLLM app shares: one config kit, one ConfigError, one service runner, one worker start-up.
export * from './lib/config-error';
export * from './lib/settings';
export * from './lib/run-service';
export * from './lib/worker-base';
export * from './lib/worker-settings';
export * from './lib/model-source';
export * from './lib/chat-template-file';
