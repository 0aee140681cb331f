import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerfileParser, Entrypoint, type Dockerfile, type From, type Instruction } from 'dockerfile-ast';
import { parse } from 'yaml';
import { ROOT } from './manifests';

/**
 * The images cannot be built here (no Docker daemon): these checks
 * read the Dockerfiles as Docker does (dockerfile-ast), and run the
 * model-fetch init step against a local HTTP server. The CI workflow builds
 * the images.
 */

const DOCKERFILES = ['deploy/docker/Dockerfile', 'deploy/docker/Dockerfile.cuda'];
const APP_TARGETS = ['orchestrator', 'slm-worker', 'llm-worker'];

/** A Dockerfile as Docker reads it (dockerfile-ast: continuations, comments, heredocs, stages). */
const dockerfileOf = (file: string): Dockerfile => DockerfileParser.parse(readFileSync(join(ROOT, file), 'utf8'));

/** The instructions a stage's image gets: its ancestors' (FROM <stage>), then its own. */
function lineage(dockerfile: Dockerfile, from: From): Instruction[] {
  const parent = dockerfile.getFROMs().find((stage) => stage.getBuildStage() === from.getImageName());
  const own = dockerfile.getContainingImage(from.getRange().start)?.getInstructions() ?? [];
  return [...(parent === undefined ? [] : lineage(dockerfile, parent)), ...own];
}

const argumentsOf = (instruction: Instruction): string => instruction.getArgumentsContent() ?? '';

describe('deploy/docker', () => {
  it.each(DOCKERFILES)('%s: multi-stage; every app target runs as a numeric non-root user with the entrypoint of an existing bin', (file) => {
    const dockerfile = dockerfileOf(file);
    const froms = dockerfile.getFROMs();
    expect(froms.length).toBeGreaterThanOrEqual(3);
    const targets = froms.filter((from) => APP_TARGETS.includes(from.getBuildStage() ?? ''));
    expect(targets.length).toBeGreaterThanOrEqual(2);
    for (const target of targets) {
      const instructions = lineage(dockerfile, target);
      const user = instructions.filter((i) => i.getKeyword() === 'USER').pop();
      expect(user === undefined ? undefined : argumentsOf(user)).toMatch(/^[1-9]\d*(:\d+)?$/);
      const entrypoint = instructions.filter((i): i is Entrypoint => i instanceof Entrypoint).pop();
      const bin = entrypoint?.getJSONStrings().map((s) => s.getJSONValue())[1] ?? '';
      expect(existsSync(join(ROOT, bin))).toBe(true);
      expect(bin).toBe(`apps/${target.getBuildStage() ?? ''}/bin/${target.getBuildStage() ?? ''}.cjs`);
    }
  });

  it.each(DOCKERFILES)('%s: no model baked in, the transpile cache warmed at build, dev dependencies pruned', (file) => {
    // Instructions only, so a step that is merely mentioned in a comment does not count.
    const instructions = dockerfileOf(file).getInstructions();
    expect(instructions.filter((i) => ['COPY', 'ADD'].includes(i.getKeyword()) && /\bmodels\b/.test(argumentsOf(i))).map(String)).toEqual([]);
    const runs = instructions.filter((i) => i.getKeyword() === 'RUN').map(argumentsOf);
    for (const step of ['warm-ts-cache.cjs', 'npm prune --omit=dev', 'proto-gen.mjs']) {
      expect(runs.some((run) => run.includes(step))).toBe(true);
    }
  });

  it('the CUDA file keeps the CUDA llama.cpp binaries; the CPU file drops them', () => {
    expect(readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8')).toMatch(/rm -rf[^\n]*linux-x64-cuda/);
    const cuda = readFileSync(join(ROOT, 'deploy/docker/Dockerfile.cuda'), 'utf8');
    expect(cuda).toMatch(/FROM \$\{CUDA_IMAGE\} AS runtime/);
    expect(cuda).not.toMatch(/rm -rf[^\n]*linux-x64-cuda/);
  });

  it('.dockerignore keeps models, node_modules, git and generated code out of the build context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['models', '**/node_modules', '.git', 'libs/proto/src/gen', 'training']) expect(ignored).toContain(entry);
  });

  it('the CI workflow runs helm lint, helm template | kubeconform and a kind smoke test', () => {
    const workflow = parse(readFileSync(join(ROOT, '.github/workflows/deploy-checks.yml'), 'utf8')) as { jobs: Record<string, { steps: { run?: string }[] }> };
    const runs = Object.values(workflow.jobs)
      .flatMap((job) => job.steps.map((s) => s.run ?? ''))
      .join('\n')
      .replace(/\\\n\s*/g, ' '); // shell line continuations
    expect(runs).toContain('helm lint');
    expect(runs).toMatch(/helm template[^\n]*\|\s*kubeconform/);
    expect(runs).toContain('kind create cluster');
    expect(runs).toContain('docker build');
  });
});

describe('deploy/docker/fetch-model.mjs (the init container step)', () => {
  const body = Buffer.from('GGUF fake model bytes '.repeat(1000));
  const sha256 = createHash('sha256').update(body).digest('hex');
  let server: Server;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/model.gguf') res.writeHead(200).end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'relayllm-fetch-'));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const fetchModel = (...args: string[]) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, [join(ROOT, 'deploy/docker/fetch-model.mjs'), ...args], { timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, out: stdout + stderr }),
      );
    });

  it('downloads, verifies the digest, and keeps a present file', async () => {
    const destination = join(dir, 'models/slm.gguf');
    expect(await fetchModel(`${url}/model.gguf`, destination, sha256)).toMatchObject({ code: 0 });
    expect(readFileSync(destination).equals(body)).toBe(true);
    expect((await fetchModel(`${url}/model.gguf`, destination, sha256)).out).toContain('present');
  });

  it('refuses a digest mismatch and a missing file, leaving nothing behind', async () => {
    const destination = join(dir, 'other.gguf');
    expect((await fetchModel(`${url}/model.gguf`, destination, '0'.repeat(64))).code).toBe(1);
    expect((await fetchModel(`${url}/missing.gguf`, destination)).code).toBe(1);
    expect(existsSync(destination)).toBe(false);
    expect(existsSync(`${destination}.partial`)).toBe(false);
  });
});
