export { waitForPort } from './ports';
export { referenceModelDir, repoRoot } from './model-dir';
