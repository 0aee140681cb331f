import { execFileSync } from 'node:child_process';
import { yamlObjects, type JsonObject } from './manifests';

/**
 * `kubectl kustomize` (the `kubectl` on PATH; it needs kustomize >= v3.1 for
 * the overlays' `patches:` field) and the objects it renders.
 */

function kubectl(args: string[]): string {
  try {
    return execFileSync('kubectl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (error) {
    const { code, stderr } = error as { code?: string; stderr?: string };
    if (code === 'ENOENT') {
      throw new Error(
        'kubectl is not on PATH. These checks need a kubectl with kustomize >= v3.1; Debian 12 has none ' +
          '(its kubernetes-client 1.20 embeds kustomize v2.0.3, which cannot read `patches:`).',
      );
    }
    throw new Error(`kubectl ${args.join(' ')} failed: ${stderr ?? String(error)}`);
  }
}

/** The objects of `kubectl kustomize dir`. */
export function kustomize(dir: string): JsonObject[] {
  return yamlObjects(kubectl(['kustomize', dir]));
}
