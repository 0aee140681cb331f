export * from './lib/nats-llm-pool';
