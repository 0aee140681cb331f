import { spawnSync } from 'node:child_process';

/**
 * Prometheus' own linter on an exposition (`promtool check metrics`, Debian's
 * `prometheus` package, installed by npm test): status 0 and no output when it
 * has nothing to say.
 */
export function promtoolCheckMetrics(text: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error !== undefined) return { status: null, output: `promtool did not run: ${result.error.message}` };
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}
