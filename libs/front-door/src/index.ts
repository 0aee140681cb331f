// The one front door of every protocol (gRPC, HTTP, the CLI) and deployment (embedded, cluster).
export * from './lib/relay-service-handler';
export * from './lib/generation-observer';
export * from './lib/relay-front-door';
