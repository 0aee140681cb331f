// The relay protocol: errors, ports, the command protocol, the relay state
// machine and its driver. Test doubles are reached through
// `@relayllm/relay-core/testing`, never from here.

// Errors
export * from './errors/reasons';
export * from './errors/relay-error';
export * from './errors/field-message';

// Ports (interfaces)
export * from './ports/engine';
export * from './ports/engine-decorator';
export * from './ports/clock';
export * from './ports/model-description';

// Command protocol
export * from './protocol/vocabulary';
export * from './protocol/model-profile';
export * from './protocol/reference-pair';
export * from './protocol/command-rules';
export * from './protocol/token-command-parser';
export * from './protocol/text-command-parser';
export * from './protocol/chat-format';

// Relay state machine and driver
export * from './relay/sequence-id';
export * from './relay/relay-request';
export * from './relay/call-bias';
export * from './relay/confidence-floor';
export * from './relay/operator-limits';
export * from './relay/relay-types';
export * from './relay/relay-events';
export * from './relay/usage';
export * from './relay/call-decision';
export * from './relay/context-view';
export * from './relay/relay-session';
export * from './relay/run-relay';
export * from './relay/abortable-iteration';
