export { SecurityConfigError } from './lib/security-config-error';
export { checkCertKeyPair, readTlsMaterial, type TlsFileNames, type TlsFiles, type TlsMaterial } from './lib/tls-settings';
export { ApiKeyRing, MAX_API_KEYS, MIN_API_KEY_LENGTH } from './lib/api-keys';
export { PROTECTED_SERVICE_PREFIXES, apiKeyInterceptor, presentedApiKey } from './lib/api-key-interceptor';
export {
  API_SECURITY_ENV,
  apiSecurityFromEnv,
  grpcServerSecurity,
  llmTokenQuota,
  type ApiSecurityConfig,
  type GrpcServerSecurity,
} from './lib/api-security';
export { NATS_SECURITY_ENV, natsSecurityFromEnv, type NatsSecurityOptions } from './lib/nats-security';
export { SLM_TLS_ENV, slmClientTlsFromEnv, slmServerCredentialsFromEnv, type SlmClientTls } from './lib/slm-tls';
