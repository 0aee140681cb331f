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
export { INSECURE_ENV, INSECURE_WARNING_PREFIX, PlainModePolicy, type SecuredChannel } from './lib/insecure-mode';
export { natsChannelWarning, redisChannelWarning, slmClientChannelWarning, slmServerChannelWarning } from './lib/secure-channels';
export {
  NATS_RESPONSE_WINDOW,
  NATS_ROLE_PERMISSIONS,
  NATS_ROLE_USERS,
  NATS_ROLES,
  natsAuthorizationConfig,
  natsRoleMay,
  subjectMatches,
  type NatsRole,
  type NatsRolePermissions,
} from './lib/nats-permissions';
export { ORCHESTRATOR_TLS_NAME, SLM_WORKER_TLS_NAME, generateSlmChannelPki, type SlmChannelPki } from './lib/local-pki';
export { REDIS_PASSWORD_ENV, generateLocalSecrets, randomSecret, type LocalSecrets } from './lib/local-secrets';
