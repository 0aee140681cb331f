export * from './lib/subjects';
export * from './lib/codec';
export * from './lib/trace-headers';
export * from './lib/worker-error';
export * from './lib/connect';
export * from './lib/worker-table';
export * from './lib/worker-registry';
export * from './lib/worker-announcer';
