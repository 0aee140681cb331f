/** Workspace-level tests (tests/**): cross-project checks such as the smoke training. */
export default {
  displayName: 'tests',
  preset: '../jest.preset.js',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js'],
};
