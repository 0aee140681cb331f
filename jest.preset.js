const nxPreset = require('@nx/jest/preset').default;

/**
 * Every project's TypeScript goes through SWC (`@swc/jest`): transpile only, as ts-jest's
 * isolatedModules mode did (types are checked by `npm run typecheck`), several times faster on
 * a cold cache. The options mirror tsconfig.base.json where they change emitted code:
 * CommonJS, ES2022, and the NestJS apps' legacy decorators with their design-type metadata.
 */
const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  transform: { '^.+\\.[tj]s$': swcTransform },
};
