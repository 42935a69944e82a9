import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * The sixth hostile-input campaign of 2026-12-07, against `fleetsim replay` and its limits: a
 * variant stopped at a limit read as a quiet fleet ("no fault, 0% burned", exit 0), and a what-if's
 * wall-clock limit stopped the baseline too. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-replay-limits-');
const INCIDENT = ['replay', 'scenarios/incidents/redis-failover-dec-2023.yaml', '--allow-path', 'scenarios'];

interface ReplayDoc {
  variants: { name: string; complete: boolean; stop_reason: string }[];
}

describe('a replay stopped at a limit says so', () => {
  it('a baseline cut short by limits.max_wall_s is marked incomplete (not "no fault"), in the text and replay.json, and exits 3 as run does', async () => {
    const out = join(tmp.dir(), 'wall');
    const r = await runMain([...INCIDENT, '--set', 'limits.max_wall_s=0.1', '--out', out]);
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toMatch(/^fleetsim: the replay stopped early in baseline \(max_wall\)/);
    expect(r.stdout).toMatch(/^baseline is INCOMPLETE: it stopped at .* s of simulated time \(max_wall\), before its first fault/m);
    expect(r.stdout).toMatch(/^baseline \(incomplete\) +ended before the fault \(max_wall\)/m);
    expect(r.stdout).not.toMatch(/no fault|Infinity/);
    const doc = JSON.parse(readFileSync(join(out, 'replay.json'), 'utf8')) as ReplayDoc;
    expect(doc.variants[0]).toMatchObject({ name: 'baseline', complete: false, stop_reason: 'max_wall' });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/baseline \(incomplete\)/);
  }, 120_000);

  it('a what-if cut short by limits.max_events is marked incomplete beside a complete baseline, and exits 3', async () => {
    const r = await runMain([...INCIDENT, '--what-if', 'a=limits.max_events=400000', '--json']);
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toMatch(/^fleetsim: the replay stopped early in a \(max_events\)/);
    const doc = JSON.parse(r.stdout) as ReplayDoc;
    expect(doc.variants.map((v) => [v.name, v.complete, v.stop_reason])).toEqual([
      ['baseline', true, 'until'],
      ['a', false, 'max_events'],
    ]);
  }, 120_000);
});

describe("a what-if's limits apply to it alone", () => {
  it('limits.max_wall_s in a --what-if is refused in one line naming the flag (it bounds the whole command: it stopped the baseline too), nothing written', async () => {
    const out = join(tmp.dir(), 'refused');
    const r = await runMain([...INCIDENT, '--what-if', 'a=limits.max_wall_s=0.5', '--out', out]);
    expectRefusedInOneLine(r, /^--what-if a=limits\.max_wall_s=0\.5: limits\.max_wall_s bounds the whole replay \(every variant\), not one what-if; use --set limits\.max_wall_s=N$/, show(r));
    expect(existsSync(out)).toBe(false);
  });
});
