/**
 * A security setting that cannot work as given (half-configured TLS, a key
 * file that does not parse...). The message names the environment variable;
 * apps let it end startup: refusing to start beats serving insecurely.
 */
export class SecurityConfigError extends Error {
  override readonly name = 'SecurityConfigError';
}
