import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the host tells the playground page. */
export interface PlaygroundOptions {
  /** Example questions offered under the question box (the reference pair's: from its test split). */
  examples?: readonly string[];
}

export interface PlaygroundConfig extends PlaygroundOptions {
  modelId: string;
  defaultMaxTokens: number;
}

/**
 * The page may load nothing from anywhere: its script and style are inline,
 * it talks to this origin only (the API), and its icon is inline data.
 */
export const PLAYGROUND_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const asset = (name: string): string => readFileSync(join(__dirname, name), 'utf8');

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The playground: one self-contained HTML page (markup, style and script
 * from this folder, inlined once at start), configured with the model id,
 * the default budget and the example questions.
 */
export function playgroundPage(config: PlaygroundConfig): string {
  const page = asset('playground.html');
  const parts: Record<string, string> = {
    '/*PLAYGROUND_STYLE*/': asset('playground.css'),
    '/*PLAYGROUND_SCRIPT*/': asset('playground.js'),
    '/*PLAYGROUND_CONFIG*/': scriptJson({ modelId: config.modelId, defaultMaxTokens: config.defaultMaxTokens, examples: config.examples ?? [] }),
  };
  return page.replace(/\/\*PLAYGROUND_(STYLE|SCRIPT|CONFIG)\*\//g, (mark) => parts[mark]);
}
