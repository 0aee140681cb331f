export * from './lib/nats-llm-pool';
export * from './lib/nats-request-transport';
