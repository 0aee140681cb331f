// Pure metrics (no fs, no rendering): usable from any scope.
export * from './types';
export * from './pgr';
export * from './random-router';
export * from './compare';
export * from './table';
export * from './curve-name';
export * from './precision';
