import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [join(dir, e.name)] : []);
}

/** Static imports and dynamic `import('...')` (the CLI loads command modules on demand). */
const importsOf = (file: string) => {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gms), ...text.matchAll(/\bimport\('([^']+)'\)/g)].map((m) => m[1]);
};

// That only the CLI imports fidelity/ follows from the layer order (test/architecture/layers.test.ts);
// this holds fidelity/ to a narrower set than its layer allows: it predicts corpus rows without the
// scenario, results or report machinery.
describe('src/fidelity layering', () => {
  it('imports only the engine, perf, fleet, metrics, workload and util layers, errors.ts and libraries', () => {
    // tsx/esm/api: a worker thread's entry loads TypeScript with it (calibrate-worker.mjs)
    const allowed = /^(node:|csv-parse|zod$|commander$|tsx\/esm\/api$|\.\/|\.\.\/(engine|perf|fleet|metrics|workload|util)\/|\.\.\/errors\.ts$)/;
    // disaggregation-finding.ts simulates a shipped scenario (a fleet-level finding no corpus row can
    // hold): it alone may use the scenario loader and the replications, which its layer allows
    const findings = /^\.\.\/(scenario\/(load|prepare)|experiment\/replications)\.ts$/;
    const bad = sources(join(SRC, 'fidelity')).flatMap((f) =>
      importsOf(f).filter((i) => !allowed.test(i) && !(f.endsWith('disaggregation-finding.ts') && findings.test(i))).map((i) => `${relative(SRC, f)}: ${i}`));
    expect(bad).toEqual([]);
  });
});
