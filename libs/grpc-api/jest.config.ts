export default {
  displayName: 'grpc-api',
  preset: '../../jest.preset.js',
  testEnvironment: 'node',
  // Generates libs/proto/src/gen/ from proto/ when it is missing or stale (see scripts/proto-gen.mjs).
  globalSetup: '<rootDir>/../../scripts/proto-gen.jest-setup.cjs',
  moduleFileExtensions: ['ts', 'js', 'html'],
  coverageDirectory: '../../coverage/libs/grpc-api',
};
