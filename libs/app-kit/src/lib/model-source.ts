import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * Where a model is served from: a GGUF file loaded in this process
 * (llama.cpp), or an OpenAI-compatible server (vLLM, SGLang, llama.cpp's
 * server) reached over `/v1/completions`.
 */
export type ModelSource = { kind: 'gguf'; path: string } | { kind: 'endpoint'; baseUrl: string; model: string | undefined };

const GGUF_FILE = /\.gguf$/i;

/**
 * Reads a model setting: `path/to/model.gguf` (resolved against the working
 * directory) or `http(s)://host:port[/v1][#served-model-name]`. Without a
 * `#name` the server's own model id is used (its `/v1/models`). Returns the
 * reason as a string when the value is neither.
 */
export function parseModelSource(raw: string): ModelSource | string {
  const value = raw.trim();
  if (/^https?:\/\//i.test(value)) return parseEndpoint(value);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return `must be an http(s) URL of an OpenAI-compatible server, got "${raw}"`;
  if (GGUF_FILE.test(value)) return { kind: 'gguf', path: resolve(value) };
  return `must be a .gguf file or an http(s)://host:port/v1 URL of an OpenAI-compatible server, got "${raw}"`;
}

function parseEndpoint(value: string): ModelSource | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `is not a valid URL: "${value}"`;
  }
  if (url.username !== '' || url.password !== '') return 'must not carry credentials in the URL';
  const model = url.hash === '' ? undefined : decodeURIComponent(url.hash.slice(1));
  // The engine appends /v1/completions itself: the base is the server root.
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  if (path !== '') return `must be the server's root or its /v1 path, got path "${url.pathname}"`;
  return { kind: 'endpoint', baseUrl: `${url.protocol}//${url.host}`, model: model === '' ? undefined : model };
}

/** A describable name for messages and logs (never carries more than the URL's host). */
export function describeModelSource(source: ModelSource): string {
  if (source.kind === 'gguf') return source.path;
  return source.model === undefined ? `${source.baseUrl}/v1` : `${source.baseUrl}/v1 (${source.model})`;
}

/** The settings field of a model source; unset or empty: `fallback()` (e.g. a file of the models directory). */
export function modelSourceSetting() {
  return z
    .string()
    .optional()
    .transform((raw, ctx): ModelSource | undefined => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const parsed = parseModelSource(raw);
      if (typeof parsed !== 'string') return parsed;
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    });
}
