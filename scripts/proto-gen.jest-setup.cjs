/**
 * Jest globalSetup of the projects that import the generated protobuf code
 * (libs/proto, libs/grpc-api): runs scripts/proto-gen.mjs, which regenerates
 * libs/proto/src/gen/ only when it is missing or stale (a no-op otherwise), so
 * that `npx jest -c libs/<name>/jest.config.ts` works on a fresh clone too.
 */
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function protoGen() {
  execFileSync(process.execPath, [join(__dirname, 'proto-gen.mjs'), '--quiet'], { stdio: 'inherit' });
};
