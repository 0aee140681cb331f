/**
 * The one error of a configuration that cannot be used: a bad value, a
 * missing companion setting, a half-configured TLS or credential setup. Its
 * message names every offending variable or flag. An app that meets one
 * refuses to start (exit code 2) instead of running half-configured.
 */
export class ConfigError extends Error {
  override readonly name: string = 'ConfigError';
}
