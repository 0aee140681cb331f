/**
 * GGUF export vs PyTorch parity on the files in PARITY_DIR (default
 * models/reference): tokenization, exact greedy output, next-token probabilities.
 * Never skipped: missing files fail the suite. PARITY_MIN_CASES (default 20) only
 * exists to run this against small smoke exports.
 */
import { resolve } from 'path';
import { checkParity, PARITY_MODELS, type ParityReport } from './index';

const dir = resolve(process.env['PARITY_DIR'] ?? resolve(__dirname, '../../../models/reference'));
const minCases = Number(process.env['PARITY_MIN_CASES'] ?? 20);

describe(`GGUF parity with PyTorch (${dir})`, () => {
  let report: ParityReport;

  beforeAll(async () => {
    report = await checkParity(dir, { minCases });
    const perModel = report.models.map((m) => `${m.model}: ${m.cases} cases, max |dp| ${m.maxProbDiff.toExponential(2)}`);
    console.info(`parity ${dir}\n${perModel.join('\n')}`);
  }, 120_000);

  it.each(PARITY_MODELS)('%s matches tokens, greedy output and probabilities', (model) => {
    const m = report.models.find((r) => r.model === model);
    expect(m).toBeDefined();
    expect(m?.cases).toBeGreaterThanOrEqual(minCases);
    expect(m?.failures).toEqual([]);
    expect(m?.maxProbDiff).toBeLessThan(1e-4);
  });
});
