import { InMemoryKeyValueStore } from '@relayllm/relay-cluster';
import { SystemClock, type Engine } from '@relayllm/relay-core';
import { REFERENCE_CHAT_FORMAT } from './chat-format';
import type { RelayllmConfig } from './config';
import { EmbeddedRelay } from './embedded-relay';

/** What the embedded relay needs from the engines (EmbeddedEngines, or wrapped engines in specs). */
export interface RelayEngines {
  slm: Engine;
  llm: Engine;
  contextSize: number;
}

/**
 * The one-process wiring: both engines called in-process, the reference chat
 * format, the system clock and an in-memory store. Used by `serve` and
 * `generate` alike.
 */
export function createEmbeddedRelay(
  engines: RelayEngines,
  config: Pick<RelayllmConfig, 'maxTokensLimit' | 'requestTimeoutMs'>,
): EmbeddedRelay {
  return new EmbeddedRelay({
    slm: engines.slm,
    llm: engines.llm,
    contextSize: engines.contextSize,
    clock: new SystemClock(),
    store: new InMemoryKeyValueStore(),
    chatFormat: REFERENCE_CHAT_FORMAT,
    maxTokensLimit: config.maxTokensLimit,
    requestTimeoutMs: config.requestTimeoutMs,
  });
}

const isIpv6 = (host: string): boolean => host.includes(':');

/** host:port for binding; IPv6 literals in brackets. */
export function listenAddress(host: string, port: number): string {
  return isIpv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Where a local client reaches a server bound to host (a wildcard address is reached on loopback). */
export function dialAddress(host: string, port: number): string {
  if (host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '::' || host === '[::]') return `[::1]:${port}`;
  return listenAddress(host, port);
}
