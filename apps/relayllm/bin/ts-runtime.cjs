'use strict';
/**
 * Lets plain Node run the workspace's TypeScript sources, so that `npx relayllm`
 * works on a fresh clone without a build step:
 *  - `@relayllm/*` imports resolve through tsconfig.base.json `paths` (the same
 *    map tsc, Jest's resolver and eslint use, so there is one source of truth);
 *  - `.ts` files are transpiled (no type check: `npm run typecheck`/CI does that)
 *    with TypeScript's transpileModule and cached under
 *    node_modules/.cache/relayllm-ts, keyed by a hash of the source, the options
 *    and the TypeScript version. A warm start never loads the TypeScript
 *    compiler (~0.3 s) nor re-transpiles (~1 s for the server graph);
 *  - inline source maps keep stack traces on .ts lines.
 * ts-node was the alternative; it has no cache, so every start paid both costs.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '../../..');
const cacheDir = path.join(root, 'node_modules/.cache/relayllm-ts');

function aliasMap() {
  const base = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8'));
  const paths = base.compilerOptions.paths;
  return new Map(Object.keys(paths).map((name) => [name, path.join(root, paths[name][0])]));
}

const aliases = aliasMap();
const tsVersion = JSON.parse(fs.readFileSync(require.resolve('typescript/package.json'), 'utf8')).version;
// Mirrors tsconfig.base.json where it matters for emitted code. The NestJS apps
// (orchestrator, workers) need legacy decorators + their design-type metadata;
// files without decorators transpile exactly as before.
const compilerOptions = {
  module: 'commonjs',
  target: 'es2022',
  esModuleInterop: true,
  inlineSourceMap: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
};
const optionsKey = `${tsVersion}\0${JSON.stringify(compilerOptions)}`;

let ts; // loaded on the first cache miss only
function transpile(source, filename) {
  ts ??= require('typescript');
  const { options } = ts.convertCompilerOptionsFromJson(compilerOptions, root);
  return ts.transpileModule(source, { compilerOptions: options, fileName: filename }).outputText;
}

function compiled(filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(optionsKey).update('\0').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // miss: transpile below
  }
  const output = transpile(source, filename);
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    // Write then rename: concurrent starts never read a half-written file.
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, output);
    fs.renameSync(tmp, cached);
  } catch {
    // A read-only checkout still runs, only without the cache.
  }
  return output;
}

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, aliases.get(request) ?? request, ...rest);
};
Module._extensions['.ts'] = function (module, filename) {
  module._compile(compiled(filename), filename);
};
process.setSourceMapsEnabled(true);
