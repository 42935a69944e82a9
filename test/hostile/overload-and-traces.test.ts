import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { userError } from '../helpers/errors.ts';
import { loadTrace } from '../../src/workload/trace.ts';
import { sampleOf, welch } from '../../src/report/stats.ts';

/**
 * The second hostile-input campaign of 2026-12-07 (about 280 attempts on replays, plans, merges,
 * traces and the newer scenario keys): the failures mended that day, each failing on the code
 * before. docs/hostile-inputs.md lists them, and the ones left.
 */
const tmp = suiteTempDir('fleetsim-hostile-overload-');

describe('overload and hostile timings stay bounded', () => {
  it('50,000 requests/s into the chat-prefix scenario runs (a held slot started each waiting request one call deeper: a stack overflow, exit 70)', async () => {
    const r = await runMain(['run', 'scenarios/chat-prefix.yaml', '--quiet', '--set', 'workload.arrivals.rate_per_s=50000', '--set', 'duration_s=30', '--set', 'warmup_s=5', '--set', 'window_s=5']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).not.toMatch(/stack size|internal error/);
  });

  it('a batch day of 1e-300 s is refused (its hours no longer moved the clock: the dispatcher spun for ever, deaf to limits and signals)', async () => {
    const r = await runMain(['validate', 'scenarios/interactive-batch-day.yaml', '--set', 'fleet.classes.batch.batch.day_s=1e-300']);
    expectRefusedInOneLine(r, /^scenarios\/interactive-batch-day\.yaml: fleet\.classes\.batch\.batch\.day_s: expected at least 24 \(hours of a second or more\), got 1e-300$/, show(r));
  });
});

describe('compare', () => {
  it('a regression to 1e300 ms is one (the squares overflowed, t was NaN and no regression was reported)', () => {
    const before = sampleOf([4700, 4715, 4730, 4690, 4740]);
    const after = sampleOf([1.0e300, 1.01e300, 0.99e300, 1.0e300, 1.02e300]);
    expect(Number.isFinite(after.sd)).toBe(true);
    const t = welch(before, after)!;
    expect(t.t).toBeGreaterThan(0);
    expect(t.p).toBeLessThan(0.001);
  });
});

describe('traces', () => {
  it('rows ended by a lone CR count as lines in the memory check (they passed as one line and were parsed for minutes)', () => {
    const rows = readFileSync('scenarios/data/azure-llm-2023/code.csv', 'utf8').split(/\r?\n/).filter((l) => l !== '').slice(0, 3000);
    const file = tmp.write('cr.csv', rows.join('\r'));
    // 0.001 GB holds about 1,190 lines at 0.9 KB a line
    expect(userError(() => loadTrace(file, file, 0.001))).toMatch(new RegExp(`^${file}: a trace of 3,000 lines needs about 0\\.0 GB to read`));
    expect(loadTrace(file, file).length).toBe(rows.length - 1);
  });
});

describe('sweep shards', () => {
  const QUICK = ['scenarios/quickstart.yaml', '--vary', 'topology.stations.api.servers=12,16', '--set', 'duration_s=60', '--set', 'warmup_s=1', '--quiet'];

  it('sweep refuses more shards than runs, and merge a manifest that claims them (it listed 2^31 missing shards and ran out of heap)', async () => {
    const refused = await runMain(['sweep', ...QUICK, '--shard', '0/2147483648', '--out', join(tmp.dir(), 'too-many')]);
    expectRefusedInOneLine(refused, /^--shard 0\/2147483648: expected N at most the sweep's 2 runs \(points x replications\), got 2,147,483,648$/, show(refused));
    const dir = join(tmp.dir(), 'shard-0-of-2');
    const written = await runMain(['sweep', ...QUICK, '--shard', '0/2', '--out', dir]);
    expect(written.code, show(written)).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'shard.json'), 'utf8')) as { shard: { count: number } };
    manifest.shard.count = 2_147_483_648;
    writeFileSync(join(dir, 'shard.json'), JSON.stringify(manifest));
    const merged = await runMain(['merge', dir, '--out', join(tmp.dir(), 'merged')]);
    expectRefusedInOneLine(merged, new RegExp(`^merge: ${dir}: shard count 2147483648: expected at most the sweep's 2 runs \\(points x replications\\) and at most 1,000,000$`), show(merged));
  });
});

