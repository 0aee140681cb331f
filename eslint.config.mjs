import nx from '@nx/eslint-plugin';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = dirname(fileURLToPath(import.meta.url));

/**
 * Module boundaries (tags live in each project.json):
 *   scope:core     libs/relay-core: pure logic, depends only on scope:core and
 *                  imports no framework / transport / client package.
 *   scope:adapter  transports and clients (NATS, gRPC, Redis, OTel, llama) around core.
 *   scope:app      deployable services under apps/.
 *   scope:testing  shared test helpers (libs/testing); spec files and src/testing/ may use them.
 */
const coreBannedExternalImports = [
  '@nestjs/*',
  'nats',
  '@nats-io/*',
  '@grpc/*',
  'ioredis',
  '@opentelemetry/*',
  'node-llama-cpp',
  'express',
];

/**
 * @nx/enforce-module-boundaries only checks `bannedExternalImports` for packages
 * that are in the Nx project graph, i.e. installed in the workspace. So that the
 * ban also holds for a package nobody has installed yet (e.g. `@nestjs/common`),
 * the same list is enforced again with ESLint's `no-restricted-imports` on the
 * files of every project tagged scope:core (roots read from project.json).
 */
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const bannedImportRegex = `^(?:${coreBannedExternalImports
  .map((p) => (p.endsWith('/*') ? `${escape(p.slice(0, -2))}/` : `${escape(p)}(?:/|$)`))
  .join('|')})`;

function projectRootsWithTag(tag) {
  const roots = [];
  for (const dir of ['apps', 'libs']) {
    const abs = join(workspaceRoot, dir);
    if (!existsSync(abs)) continue;
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const projectJson = join(abs, entry.name, 'project.json');
      if (!existsSync(projectJson)) continue;
      const tags = JSON.parse(readFileSync(projectJson, 'utf8')).tags ?? [];
      if (tags.includes(tag)) roots.push(`${dir}/${entry.name}`);
    }
  }
  return roots;
}

const coreRoots = projectRootsWithTag('scope:core');

const corePurityPattern = {
  regex: bannedImportRegex,
  message: 'scope:core is pure: no framework/transport/client imports (put it in a scope:adapter lib).',
};

const rawReasonMessage = 'Name a reason by its registry constant (e.g. UnavailableReason.NO_SLM_WORKER), not a string.';
const rawReasonSelectors = [
  "CallExpression[callee.object.name='RelayError'][arguments.0.type='Literal']",
  "CallExpression[callee.object.name='RelayError'][arguments.0.type='TemplateLiteral']",
  "NewExpression[callee.name='RelayError'][arguments.1.type='Literal']",
  "NewExpression[callee.name='RelayError'][arguments.1.type='TemplateLiteral']",
].map((selector) => ({ selector, message: rawReasonMessage }));

// Config is read and validated once per app, in apps/<app>/src/app/config.ts; everything else is handed it.
const processEnvSelector = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'Only apps/<app>/src/app/config.ts reads process.env; take the setting as a parameter.',
};

const unitTierMessage = 'A unit spec starts no process, socket, model or service: name the file *.integration.spec.ts (or *.e2e.spec.ts).';
const unitTierBannedPaths = [
  { name: '@grpc/grpc-js', importNames: ['Server', 'ServerCredentials'], message: unitTierMessage },
  { name: 'net', message: unitTierMessage },
  { name: 'node:net', message: unitTierMessage },
  { name: 'http', message: unitTierMessage },
  { name: 'node:http', message: unitTierMessage },
];
const unitTierBannedPatterns = [
  { regex: '^(node:)?child_process$', message: unitTierMessage },
  { regex: '^@relayllm/(testing|llama-cpp)$', message: unitTierMessage },
  { regex: '^(@nats-io/transport-node|ioredis|node-llama-cpp)$', message: unitTierMessage },
  { group: ['**/testing', '**/testing/*', '@relayllm/*/testing'], importNames: ['startInProcessWorker', 'FakeVllmServer', 'startOtlpJsonReceiver'], message: unitTierMessage },
];

/** `@relayllm/<lib>/testing`: test doubles, for specs and src/testing/ folders only. */
const testingEntryPattern = {
  regex: '^@relayllm/[^/]+/testing$',
  message: 'Test doubles are for specs and src/testing/ only; production code imports the lib barrel.',
};

const depConstraints = [
  {
    sourceTag: 'scope:core',
    onlyDependOnLibsWithTags: ['scope:core'],
    bannedExternalImports: coreBannedExternalImports,
  },
  { sourceTag: 'scope:adapter', onlyDependOnLibsWithTags: ['scope:core', 'scope:adapter'] },
  { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:core', 'scope:adapter'] },
  {
    sourceTag: 'scope:testing',
    onlyDependOnLibsWithTags: ['scope:core', 'scope:adapter', 'scope:testing'],
  },
];

/** Spec files of any project may additionally import scope:testing helpers. */
const specDepConstraints = depConstraints.map((c) => ({
  ...c,
  onlyDependOnLibsWithTags: [...new Set([...c.onlyDependOnLibsWithTags, 'scope:testing'])],
}));

const boundaries = (constraints) => [
  'error',
  {
    enforceBuildableLibDependency: true,
    allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
    depConstraints: constraints,
  },
];

export default [
  {
    ignores: [
      '**/dist',
      '**/node_modules',
      '**/coverage',
      '**/.nx',
      '**/tmp',
      'training/**',
      'models/**',
      'bench/**',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.cts', '**/*.mts', '**/*.js', '**/*.jsx', '**/*.cjs', '**/*.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(depConstraints),
    },
  },
  {
    // Specs and test-support folders (src/testing/**: fixtures, test doubles) are test code.
    files: ['**/*.spec.ts', '**/*.test.ts', '**/*.spec.js', '**/*.test.js', '**/src/testing/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': boundaries(specDepConstraints),
    },
  },
  {
    // Error reasons are a closed registry (libs/relay-core/src/errors/reasons.ts): name them by their
    // constant (UnavailableReason.NO_SLM_WORKER), never as a string, so every use is found by its name.
    files: ['**/*.ts'],
    rules: {
      'no-restricted-syntax': ['error', ...rawReasonSelectors],
    },
  },
  {
    // Production code reads no environment: the app's config.ts does, once.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/src/testing/**', '**/jest.config.ts', 'apps/*/src/app/config.ts', 'libs/testing/**'],
    rules: {
      'no-restricted-syntax': ['error', ...rawReasonSelectors, processEnvSelector],
    },
  },
  {
    // Test tiers by name: a plain *.spec.ts is a unit test (no child process, socket, model or real service);
    // those go in *.integration.spec.ts (real NATS/Redis/llama.cpp/sockets in one process) or *.e2e.spec.ts.
    files: ['**/*.spec.ts'],
    ignores: ['**/*.integration.spec.ts', '**/*.e2e.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: unitTierBannedPaths, patterns: unitTierBannedPatterns }],
    },
  },
  {
    // Test doubles are reached through `@relayllm/<lib>/testing` only: a barrel that re-exported them would
    // pull them (and whatever they import, e.g. an HTTP server) into production imports.
    files: ['libs/*/src/index.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportAllDeclaration[source.value=/testing/], ExportNamedDeclaration[source.value=/testing/]',
          message: 'A lib barrel never re-exports test doubles; specs import them from @relayllm/<lib>/testing.',
        },
        ...rawReasonSelectors,
        processEnvSelector,
      ],
    },
  },
  {
    // Production code never imports a lib's test doubles.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/src/testing/**', '**/jest.config.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [testingEntryPattern] }],
    },
  },
  ...(coreRoots.length === 0
    ? []
    : [
        {
          files: coreRoots.map((root) => `${root}/**/*.{ts,tsx,cts,mts,js,jsx,cjs,mjs}`),
          rules: {
            'no-restricted-imports': [
              'error',
              {
                patterns: [testingEntryPattern, corePurityPattern],
              },
            ],
          },
        },
        {
          // Specs and test doubles of core libs stay pure too, and may use other libs' doubles.
          files: coreRoots.flatMap((root) => [`${root}/**/*.spec.ts`, `${root}/src/testing/**/*.ts`]),
          rules: {
            'no-restricted-imports': ['error', { patterns: [corePurityPattern] }],
          },
        },
      ]),
];
