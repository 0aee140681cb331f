import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CHART_DIR, ROOT, yamlObjects, type JsonObject } from './manifests';

/**
 * The real helm binaries (scripts/install-helm.sh puts the pinned builds
 * there; scripts/test.sh runs it) and the chart as helm renders it.
 */

/** The newest helm 3 and helm 4 builds these machines can get (scripts/install-helm.sh pins the same). */
export const HELM_VERSIONS = ['v3.17.3', 'v4.1.4'] as const;
export type HelmVersion = (typeof HELM_VERSIONS)[number];
const LATEST: HelmVersion = 'v4.1.4';
const helmPath = (version: HelmVersion): string => join(ROOT, 'node_modules/.cache/relayllm-helm', version, 'helm');
/** The namespace and release name the rendered objects are checked under. */
export const RELEASE = { name: 'relayllm', namespace: 'relayllm' } as const;

export interface HelmRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function helm(args: string[], version: HelmVersion = LATEST): HelmRun {
  const binary = helmPath(version);
  if (!existsSync(binary)) throw new Error(`no helm at ${binary}: run scripts/install-helm.sh (npm test runs it)`);
  const run = spawnSync(binary, args, { encoding: 'utf8', timeout: 60_000 });
  if (run.error !== undefined) throw new Error(`helm ${args.join(' ')}: ${run.error.message}`);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * A copy of the chart without its `dependencies:` (the NATS and Redis charts
 * live in remote repositories that these machines cannot reach, and helm
 * refuses to render a chart whose dependencies are missing). Every template
 * of our own renders as it does in a release; the dependencies' objects are
 * not rendered. Returns the copy's directory and a function that removes it.
 */
export function chartWithoutDependencies(): { dir: string; remove: () => void } {
  const parent = mkdtempSync(join(tmpdir(), 'relayllm-chart-'));
  const dir = join(parent, 'relayllm');
  cpSync(CHART_DIR, dir, { recursive: true });
  const chart = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as JsonObject;
  delete chart.dependencies;
  writeFileSync(join(dir, 'Chart.yaml'), stringify(chart));
  return { dir, remove: () => rmSync(parent, { recursive: true, force: true }) };
}

/** The `--values` arguments for values files in the chart copy. */
export const valuesArgs = (chartDir: string, valuesFiles: readonly string[]): string[] => valuesFiles.flatMap((file) => ['--values', join(chartDir, file)]);

/** `helm template` of the chart copy with values files (in the chart) and --set pairs. */
export function helmTemplate(chartDir: string, options: { valuesFiles?: string[]; set?: string[]; version?: HelmVersion } = {}): HelmRun {
  const args = ['template', RELEASE.name, chartDir, '--namespace', RELEASE.namespace, ...valuesArgs(chartDir, options.valuesFiles ?? [])];
  for (const pair of options.set ?? []) args.push('--set', pair);
  return helm(args, options.version);
}

/** The objects of a successful render; throws with helm's error otherwise. */
export function renderedObjects(run: HelmRun): JsonObject[] {
  if (run.status !== 0) throw new Error(`helm template failed (${String(run.status)}): ${run.stderr}`);
  return yamlObjects(run.stdout);
}
