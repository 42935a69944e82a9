import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * The fifth hostile-input campaign of 2026-12-07, its messages and traces: what `check` refused
 * and `validate` passed, refusals that named no file or flag, trace and session inputs read
 * silently. Each test fails on the code before its mend; docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-messages-');
const QUICKSTART = readFileSync('scenarios/quickstart.yaml', 'utf8');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('budgets in a scenario', () => {
  it('a budget check refuses for its form is refused by validate and run too (both passed it)', async () => {
    const file = tmp.write('bad-form.yaml', `${QUICKSTART}budgets:\n  - requests.error_rate <= abc\n`);
    const out = join(tmp.dir(), 'bad-form-out');
    for (const args of [['validate', file], ['run', file, '--quiet', '--out', out], ['check', file, '--quiet']]) {
      const r = await runMain(args);
      expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:\\d+:\\d+: budgets\\[0\\]: expected "metric op value"`), show(r));
    }
    expect(existsSync(out)).toBe(false);
  });

  it('a budget on a misspelt metric or on a string is refused by validate and run, as by check', async () => {
    const file = tmp.write('bad-metric.yaml', `${QUICKSTART}budgets:\n  - requests.error_rate <= 0.5\n  - latency_ms.e2e.p99x <= 5\n`);
    for (const args of [['validate', file], ['run', file, '--quiet', '--set', 'duration_s=2', '--set', 'warmup_s=0'], ['check', file, '--quiet']]) {
      const r = await runMain(args);
      expectRefusedInOneLine(r, new RegExp(`^${escape(file)}: budgets\\[1\\]\\.metric: latency_ms\\.e2e\\.p99x: no field "p99x" in latency_ms\\.e2e; did you mean "latency_ms\\.e2e\\.p99"\\?`), show(r));
    }
    const text = tmp.write('string-metric.yaml', `${QUICKSTART}budgets: ["scenario <= 5"]\n`);
    const r = await runMain(['validate', text]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(text)}: budgets\\[0\\]\\.metric: scenario is a string, not a number$`), show(r));
  });

  it('an empty budgets: list is refused by validate, as by check', async () => {
    const file = tmp.write('empty.yaml', `${QUICKSTART}budgets: []\n`);
    const r = await runMain(['validate', file]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:\\d+:\\d+: budgets: expected at least one budget`), show(r));
  });
});
