/**
 * `npm run fixtures:protocol`: writes the relay protocol (vocabulary ids, command
 * syntax, request defaults, chat format and every conformance case) as JSON for
 * training/ (Python), which loads its token ids and protocol constants from it and
 * runs the conformance cases through its rollout. Run it after changing relay-core's
 * protocol or conformance table, and commit the file: relay-core's
 * protocol-fixture.spec.ts fails while the committed file is stale.
 */
import { writeFileSync } from 'fs';
import { resolve } from 'path';
import { PROTOCOL_FIXTURE_PATH, buildProtocolFixture, formatProtocolFixture } from '@relayllm/relay-core/testing';

const target = resolve(__dirname, '..', PROTOCOL_FIXTURE_PATH);
const fixture = buildProtocolFixture();
writeFileSync(target, formatProtocolFixture(fixture));
process.stdout.write(`wrote ${PROTOCOL_FIXTURE_PATH} (${fixture.conformance.cases.length} conformance cases)\n`);
