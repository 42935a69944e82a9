import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

/**
 * Leftovers of the tenth hostile-input campaign of 2026-12-07, mended that evening: each test
 * fails on the code before its mend. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-leftovers-tenth-c-');

const TWO_MODELS = 'test/experiment/fixtures/fleet-plan-two-models.yaml';

describe('the by-model tables mark thin percentiles as the latency table does', () => {
  it('report.md, report.html and the terminal mark a model p99 resting on fewer than 1,000 requests, and say why', async () => {
    const out = join(tmp.dir(), 'thin-by-model');
    // 2 requests/s for 30 s measured: a few dozen requests per model, far from a p99's 1,000
    const r = await runMain(['run', TWO_MODELS, '--set', 'workload.arrivals.rate_per_s=2', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const row = md.split('\n').find((l) => l.startsWith('| chat |'))!;
    const cells = row.split('|').map((c) => c.trim());
    // model, offered, completed, 429, TTFT p50, TTFT p99, TPOT p50, e2e p50, e2e p99
    expect(cells[6], row).toMatch(/^[\d,.]+\*$/);
    expect(cells[9], row).toMatch(/^[\d,.]+\*$/);
    const completed = cells[3];
    expect(md).toContain(`* chat from ${completed} completed requests, fewer than 10 lie beyond`);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`<td>${cells[6]}</td>`);
    expect(html).toMatch(/<p class="note">\* chat from [\d,]+ completed requests, fewer than 10 lie beyond/);
    expect(r.stdout).toMatch(/^\* chat from [\d,]+ completed requests, fewer than 10 lie beyond .*: rough figures, not tails/m);
  });
});
