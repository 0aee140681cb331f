import { ConfigError } from '@relayllm/app-kit';

/**
 * A security setting that cannot work as given (half-configured TLS, a key
 * file that does not parse...). The message names the environment variable;
 * apps let it end startup: refusing to start beats serving insecurely. It is
 * the app kit's ConfigError, so every app reports it like any bad setting.
 */
export class SecurityConfigError extends ConfigError {
  override readonly name = 'SecurityConfigError';
}
