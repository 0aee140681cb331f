/**
 * Root Jest config: one Jest "project" per `apps/<name>/jest.config.ts` and
 * `libs/<name>/jest.config.ts`, plus those of `bench/`, `scripts/chaos/` and `tests/`
 * (workspace-level / integration tests). `npx jest` at the root runs them all.
 */
import { existsSync, readdirSync, statSync } from 'fs';
import { join } from 'path';
import type { Config } from 'jest';

const root = __dirname;

function projectConfigs(dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((name) => statSync(join(abs, name)).isDirectory())
    .map((name) => join(abs, name, 'jest.config.ts'))
    .filter((file) => existsSync(file))
    .sort();
}

const projects: NonNullable<Config['projects']> = [
  ...projectConfigs('apps'),
  ...projectConfigs('libs'),
  ...[join(root, 'bench', 'jest.config.ts')].filter((file) => existsSync(file)), // specs of the benchmarks' helpers
  ...[join(root, 'scripts', 'chaos', 'jest.config.ts')].filter((file) => existsSync(file)), // the fault matrix's pure parts
  ...[join(root, 'tests', 'jest.config.ts')].filter((file) => existsSync(file)), // workspace-level and cross-app specs
];

// One test process keeps every module of ~110 spec files alive: its heap grows past 1 GB and a single
// GC pause then reaches the 100 ms that the cancellation specs allow the engines to stop in. A worker
// that is recycled once its idle heap passes this limit keeps pauses short (jest then never runs in band).
const config: Config = { projects, workerIdleMemoryLimit: '1200MB' };

export default config;
