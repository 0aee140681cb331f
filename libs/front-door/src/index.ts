// The one front door of every protocol (gRPC, HTTP, the CLI) and deployment (embedded, cluster).
export * from './lib/relay-service-handler';
export * from './lib/generation-observer';
export * from './lib/relay-front-door';
// Chat templates: rendered here and nowhere else.
export { chatFormatFor } from './lib/chat-template/chat-format-for';
export { TEMPLATE_VARIABLES, TemplateChatFormat } from './lib/chat-template/template-chat-format';
export { chatTemplateFromFile, chatTemplateFromTokenizerConfig } from './lib/chat-template/chat-template-source';
