export * from './otlp-receiver';
export * from './dashboard';
export * from './promtool';
