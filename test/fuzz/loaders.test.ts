import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { capacityCheck } from '../../src/cli/capacity-check.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { loadCalibration } from '../../src/perf/calibration.ts';
import { DEFAULT_CALIBRATION } from '../../src/perf/profiles.ts';
import { parseMeasurements } from '../../src/perf/measurements.ts';
import { parseBudgets } from '../../src/report/budgets.ts';
import { loadScenario, readDocument } from '../../src/scenario/load.ts';
import { loadTrace } from '../../src/workload/trace.ts';
import { applyAll, expectReturnsOrUserError, fuzzParams, mutations } from './mutate.ts';

/**
 * The loaders against random mutations of every shipped input (see mutate.ts for how to run
 * longer): each returns, or throws a UserError whose message is one clean line that does not
 * copy the file. In-process, so a few hundred inputs take seconds.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Rows of each shipped trace kept in the fuzzing copy: parsing the whole 19,000-row trace each time would dominate. */
const TRACE_ROWS = 300;

function filesUnder(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

let tmp: string;
let tree: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-fuzz-'));
  tree = join(tmp, 'scenarios');
  cpSync(join(REPO, 'scenarios'), tree, { recursive: true });
  for (const csv of filesUnder(join(tree, 'data'), '.csv')) writeFileSync(csv, readFileSync(csv, 'utf8').split('\n').slice(0, TRACE_ROWS + 1).join('\n'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const SCENARIOS = filesUnder(join(REPO, 'scenarios'), '.yaml')
  .map((f) => relative(join(REPO, 'scenarios'), f))
  .filter((f) => !f.startsWith('budgets/'));

describe('scenario loading (validate: read, extends, schema, traces, capacity check)', () => {
  it.each(SCENARIOS)('mutations of %s', (rel) => {
    const file = join(tree, rel);
    const original = readFileSync(file, 'utf8');
    try {
      fc.assert(
        fc.property(mutations, (ms) => {
          const text = applyAll(original, ms);
          writeFileSync(file, text);
          // The incidents extend ../openai-2024.yaml: the copied tree is allowed, as with --allow-path scenarios.
          expectReturnsOrUserError(() => capacityCheck(prepare(loadScenario(file, [], [tree]))), text, rel);
        }),
        fuzzParams(20),
      );
    } finally {
      writeFileSync(file, original);
    }
  });
});

describe('other inputs', () => {
  it.each(filesUnder(join(REPO, 'scenarios/data/azure-llm-2023'), '.csv').map((f) => relative(REPO, f)))('mutations of the trace %s', (rel) => {
    const original = readFileSync(join(tree, relative('scenarios', rel)), 'utf8');
    const file = join(tmp, 'trace.csv');
    fc.assert(
      fc.property(mutations, (ms) => {
        const text = applyAll(original, ms);
        writeFileSync(file, text);
        expectReturnsOrUserError(() => loadTrace(file), text, rel);
      }),
      fuzzParams(60),
    );
  });

  it('mutations of the budgets file', () => {
    const original = readFileSync(join(REPO, 'scenarios/budgets/openai-2024.yaml'), 'utf8');
    const file = join(tmp, 'budgets.yaml');
    fc.assert(
      fc.property(mutations, (ms) => {
        const text = applyAll(original, ms);
        writeFileSync(file, text);
        expectReturnsOrUserError(() => parseBudgets(readDocument(file), file), text, 'budgets');
      }),
      fuzzParams(80),
    );
  });

  it('mutations of the measurement CSV (Splitwise format)', () => {
    const original = readFileSync(join(REPO, 'scenarios/data/splitwise/llama2-70b-a100.csv'), 'utf8').split('\n').slice(0, 60).join('\n');
    fc.assert(
      fc.property(mutations, (ms) => {
        const text = applyAll(original, ms);
        expectReturnsOrUserError(() => parseMeasurements(text, 'measurements.csv'), text, 'measurements');
      }),
      fuzzParams(80),
    );
  });

  it('mutations of a calibration profile', () => {
    const profile = { ...DEFAULT_CALIBRATION, fit: { corpus: 'splitwise', stack: 'vllm-2023', points: 112, mape_pct: 8.6, fitted: ['gemm_efficiency'] } };
    const original = `${JSON.stringify(profile, null, 2)}\n`;
    const file = join(tmp, 'calibration.json');
    fc.assert(
      fc.property(mutations, (ms) => {
        const text = applyAll(original, ms);
        writeFileSync(file, text);
        expectReturnsOrUserError(() => loadCalibration(file), text, 'calibration');
      }),
      fuzzParams(80),
    );
  });
});
