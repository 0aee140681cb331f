/**
 * Loading the ESM-only `node-llama-cpp` from this CommonJS workspace.
 *
 * `tsc` (module: commonjs) and Jest's SWC transform (CommonJS output) both turn a
 * literal `import('x')` into `require('x')`, and `require` of node-llama-cpp fails
 * (ERR_REQUIRE_ASYNC_MODULE: its ESM graph uses top-level await). The specifier is
 * therefore imported through a `Function`-built `import()`, which no compiler rewrites:
 *  - plain Node (compiled code): a real dynamic import, whatever `module` setting the
 *    consuming project compiles this source with;
 *  - Jest: works only with `NODE_OPTIONS=--experimental-vm-modules` (set by
 *    scripts/test.sh); without it the error below says so.
 * The random comment makes the source unique per evaluation of this module: V8 caches
 * `Function` code by source, and a cached copy keeps the dynamic-import referrer of
 * the first Jest test file that built it ("Test environment has been torn down" in
 * the next test files of the same worker).
 */
import type * as NodeLlamaCpp from 'node-llama-cpp' with { 'resolution-mode': 'import' };

export type NodeLlamaCppModule = typeof NodeLlamaCpp;

const dynamicImport = new Function('specifier', `return import(specifier) // ${Math.random()}`) as (
  specifier: string,
) => Promise<unknown>;

let cached: Promise<NodeLlamaCppModule> | undefined;

/** The `node-llama-cpp` module namespace (imported once per module registry). */
export function importNodeLlamaCpp(): Promise<NodeLlamaCppModule> {
  cached ??= (dynamicImport('node-llama-cpp') as Promise<NodeLlamaCppModule>).catch((err: unknown) => {
    cached = undefined;
    const message = err instanceof Error ? err.message : String(err);
    if (/experimental-vm-modules|dynamic import callback/i.test(message)) {
      throw new Error(
        'node-llama-cpp is ESM-only: under Jest run with NODE_OPTIONS=--experimental-vm-modules ' +
          `(scripts/test.sh sets it). Original error: ${message}`,
        { cause: err },
      );
    }
    throw err;
  });
  return cached;
}
