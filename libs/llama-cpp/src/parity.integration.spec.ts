/**
 * GGUF export vs PyTorch parity on the shipped reference pair (models/reference):
 * tokenization, exact greedy output, next-token probabilities. Never skipped:
 * missing files fail the suite. (The smoke-training spec runs the same check on a
 * freshly trained and exported pair.)
 */
import { referenceModelDir } from '@relayllm/testing';
import { checkParity, PARITY_MODELS, type ParityReport } from './index';

const dir = referenceModelDir();
const minCases = 20;

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
