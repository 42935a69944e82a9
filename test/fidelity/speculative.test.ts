import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpeculativeCorpus, predictSpeculative, SPECULATIVE_CORPUS_DIR } from '../../src/fidelity/speculative.ts';
import { userError } from '../helpers/errors.ts';

describe('speculative-decoding measurements', () => {
  it('every published row is predicted within 10%, and the set within 5% MAPE', () => {
    const table = predictSpeculative(loadSpeculativeCorpus());
    expect(table.rows.length).toBeGreaterThanOrEqual(2);
    for (const r of table.rows) expect(Math.abs(r.error_pct), r.id).toBeLessThan(10);
    expect(table.overall.mape_pct).toBeLessThan(5);
  });

  it('a ratio of speedups does not depend on the acceptance written in the row (it cancels)', () => {
    const rows = loadSpeculativeCorpus().filter((r) => r.kind === 'speedup_ratio');
    const at = (a: number) => predictSpeculative(rows.map((r) => ({ ...r, acceptance_rate: a }))).rows.map((r) => r.predicted);
    const low = at(0.4), high = at(0.9);
    low.forEach((v, i) => expect(v).toBeCloseTo(high[i], 9));
  });

  it('a bad cell is refused in one line naming file, line and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-spec-corpus-'));
    const text = readFileSync(join(SPECULATIVE_CORPUS_DIR, 'specdecode-bench.csv'), 'utf8').replace(',eagle,3,0.7,', ',eagle,3,1.5,');
    writeFileSync(join(dir, 'bad.csv'), text);
    const message = userError(() => loadSpeculativeCorpus(dir));
    expect(message).toMatch(/bad\.csv:2: acceptance_rate: expected a number in \[0, 1\), got "1\.5"$/);
    expect(message.split('\n')).toHaveLength(1);
  });
});
