/**
 * Reads one sample out of a Prometheus text exposition (specs and the
 * /metrics scrape tests): the first line named `name` whose labels include
 * `labels`. undefined when absent.
 */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$/.exec(line.trim());
    if (match === null || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const [, key = '', value = ''] of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[key] = value;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[4]);
  }
  return undefined;
}
