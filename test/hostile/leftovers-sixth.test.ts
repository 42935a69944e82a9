import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { REPO, show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { expectMergeRefused, shardEditor, sweepShards } from '../helpers/shards.ts';
import { makeSampler } from '../../src/engine/distributions.ts';
import { stream } from '../../src/engine/random.ts';

/**
 * What the sixth hostile campaign of 2026-12-07 left, mended: `merge` of a run file whose time
 * series held impossible counts or a window of 1e308 ms, of a shard.json whose knob values were
 * edited to relabel points, names printed with raw escape sequences, a budget of 1e-400 read as 0,
 * and a normal service time of sd 1e308 that the capacity check called a light load.
 */
const tmp = suiteTempDir('fleetsim-hostile-sixth-');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// two points of two replications, two shards: shard 0 holds replication 0 of each point
const SWEEP = ['scenarios/quickstart.yaml', '--vary', 'topology.stations.api.servers=12,16', '--set', 'duration_s=30', '--set', 'warmup_s=1', '--replications', '2', '--jobs', '1', '--quiet'];
const mergeEdited = shardEditor(tmp, sweepShards(tmp, SWEEP));

/** A scenario over quickstart with `yaml` appended, in the suite's directory. */
const scenario = (name: string, yaml: string) => tmp.write(name, `extends: ${join(REPO, 'scenarios/quickstart.yaml')}\n${yaml}`);

describe('merge refuses a run time series no sweep writes, naming the file and the field', () => {
  it.each<[string, unknown]>([
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['negative', -5],
    ['1e308 (no whole count)', 1e308],
    ['a fraction', 2.5],
  ])('an arrival count %s', async (name, count) => {
    const result = await mergeEdited(`count-${name.replace(/\W+/g, '-')}`, { run: (r) => { r.timeseries.fields.arrivals.values[3] = count; } });
    expectMergeRefused(result, result.run, new RegExp(`^timeseries\\.fields\\.arrivals\\.values\\[3\\]: expected a count \\(a whole number >= 0\\), got ${escape(typeof count === 'string' ? `"${count}"` : String(count))}$`));
  });

  it('a prefix or queue count alike', async () => {
    const result = await mergeEdited('count-queued', { run: (r) => { r.timeseries.fields.queued.values[0] = -1; } });
    expectMergeRefused(result, result.run, /^timeseries\.fields\.queued\.values\[0\]: expected a count \(a whole number >= 0\), got -1$/);
  });

  it('a window of 1e308 ms in every replication (merged: window starts at Infinity)', async () => {
    const result = await mergeEdited('window-huge', { run: (r) => { r.timeseries.fields.window_ms.num = 1e308; } });
    expectMergeRefused(result, result.run, /^timeseries\.fields\.window_ms\.num: expected a positive number of at most 1,000,000,000,000,000, got 1e\+308$/);
  });

  it("a scenario's own window_s of 1e308 is refused too (window_s null in summary.json, NaN window starts)", async () => {
    const file = scenario('window.yaml', 'window_s: 1e308\n');
    const r = await runMain(['validate', file, '--allow-path', 'scenarios']);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:\\d+:\\d+: window_s: expected a positive number of at most 1,000,000,000,000, got 1e\\+308$`), show(r));
  });
});

describe("merge recomputes the sweep's hash from what shard.json records", () => {
  it.each<[string, (m: Record<string, any>) => void]>([
    ['knob values swapped (point 0 relabelled 16 servers)', (m) => { m.sweep.knobs[0].values = [16, 12]; }],
    ['a knob value changed', (m) => { m.sweep.knobs[0].values[1] = 20; }],
    ['the seed changed', (m) => { m.sweep.seed = 7; }],
    ['the document digest changed', (m) => { m.sweep.document_sha256 = '0'.repeat(64); }],
  ])('%s, in both shards, is refused naming the manifest and sweep.hash', async (name, edit) => {
    const result = await mergeEdited(`hash-${name.replace(/\W+/g, '-')}`, { manifest: edit });
    expectMergeRefused(result, result.manifest, /^sweep\.hash: expected [0-9a-f]{16}, the hash of the sweep's fleetsim_version, document_sha256, knobs, seed and replications as recorded, got "[0-9a-f]{16}"; one of them was edited$/);
  });

  it('a shard of the format before (no document digest) is refused as one this fleetsim does not read, not as "another version" (both said 0.2.0)', async () => {
    const result = await mergeEdited('format-2', { manifest: (m) => { m.format = 2; } });
    expectRefusedInOneLine(result.r, /: expected a fleetsim shard manifest \(format \d+, found format 2: written by an earlier or later fleetsim, whose shards this one does not read; run the shard again\)$/, show(result.r));
  });
});

describe('names from the input reach the terminal with their control characters escaped', () => {
  const ESC = '\u001b';

  it("merge prints a scenario name edited to hold ESC escaped, and keeps it in sweep.json", async () => {
    const name = `quick${ESC}[31mstart${ESC}]0;owned\u0007`;
    const { r, out } = await mergeEdited('name-escape', { manifest: (m) => { m.sweep.scenario = name; } });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(r.stdout).toContain('quick\\u001b[31mstart\\u001b]0;owned\\u0007: sweep of 2 points');
    expect(JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')).scenario).toBe(name);
  });

  it("sweep's table prints a knob value holding ESC escaped", async () => {
    const r = await runMain(['sweep', 'scenarios/quickstart.yaml', '--vary', `description=a${ESC}[2Jb`, '--set', 'duration_s=10', '--set', 'warmup_s=1', '--jobs', '1']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).not.toContain(ESC);
    expect(r.stdout).toContain('a\\u001b[2Jb');
  });
});

describe('a nonzero number that reads as 0 is refused, naming the field', () => {
  const EXPECTED = 'a number that does not round to 0 \\(the smallest positive one is about 5e-324\\)';

  it("a scenario budget's value of 1e-400 (read as 0)", async () => {
    const file = scenario('budget-object.yaml', 'budgets:\n  - { metric: latency_ms.e2e.p99, op: "<", value: 1e-400 }\n');
    for (const command of ['validate', 'run']) {
      const out = join(tmp.dir(), `budget-object-${command}`);
      const r = await runMain([command, file, '--allow-path', 'scenarios', ...(command === 'run' ? ['--out', out] : [])]);
      expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:3:\\d+: budgets\\[0\\]\\.value: expected ${EXPECTED}, got 1e-400$`), show(r));
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a budget string "latency_ms.e2e.p99 < 1e-400"', async () => {
    const file = scenario('budget-string.yaml', 'budgets:\n  - "latency_ms.e2e.p99 < 1e-400"\n');
    const r = await runMain(['validate', file, '--allow-path', 'scenarios']);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:3:\\d+: budgets\\[0\\]: expected the value after < to be ${EXPECTED}, got "latency_ms\\.e2e\\.p99 < 1e-400"$`), show(r));
  });

  it('a budgets file in JSON, and a negative one set by a flag', async () => {
    const file = tmp.write('budgets.json', '[{"metric": "latency_ms.e2e.p99", "op": "<", "value": 1e-400}]\n');
    const json = await runMain(['check', 'scenarios/quickstart.yaml', '--budgets', file]);
    expectRefusedInOneLine(json, new RegExp(`^${escape(file)}:1:\\d+: \\[0\\]\\.value: expected ${EXPECTED}, got 1e-400$`), show(json));
    const flag = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'budgets=[{metric: latency_ms.e2e.p99, op: "<", value: -1e-400}]']);
    expectRefusedInOneLine(flag, new RegExp(`^--set budgets=.*: budgets\\[0\\]\\.value: expected ${EXPECTED}, got -1e-400$`), show(flag));
  });

  it('plan --slo latency_ms.e2e.p99<1e-400', async () => {
    const r = await runMain(['plan', 'scenarios/quickstart.yaml', '--vary', 'topology.stations.api.servers=12..16:4', '--slo', 'latency_ms.e2e.p99<1e-400']);
    expectRefusedInOneLine(r, new RegExp(`^--slo latency_ms\\.e2e\\.p99<1e-400: expected ${EXPECTED} after <, got 1e-400$`), show(r));
  });

  it('0 written as 0 still reads (0.0, 0e-400)', async () => {
    const file = scenario('budget-zero.yaml', 'budgets:\n  - { metric: requests.error_rate, op: "<=", value: 0e-400 }\n  - "requests.rejected <= 0.0"\n');
    const r = await runMain(['validate', file, '--allow-path', 'scenarios']);
    expect(r.code, show(r)).toBe(0);
  });
});

describe('a normal service time wider than 100 times its mean is refused', () => {
  const normal = (mean: number, sd: number) => `topology:\n  stations:\n    db:\n      service_ms: { dist: normal, mean: ${mean}, sd: ${sd} }\n`;

  it('sd 1e308 over a mean of 25 ms, by validate and run alike (the capacity check said 20% load; every request timed out)', async () => {
    const file = scenario('normal-wide.yaml', normal(25, 1e308));
    for (const command of ['validate', 'run']) {
      const out = join(tmp.dir(), `normal-${command}`);
      const r = await runMain([command, file, '--allow-path', 'scenarios', ...(command === 'run' ? ['--out', out] : [])]);
      expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:\\d+:\\d+: topology\\.stations\\.db\\.service_ms\\.sd: expected at most 100 x mean \\(25\\): draws below 0 are drawn again, so a wider normal's mean is not its own, got 1e\\+308$`), show(r));
      expect(existsSync(out)).toBe(false);
    }
  });

  it('a mean of 0 takes no spread', async () => {
    const r = await runMain(['validate', scenario('normal-zero.yaml', normal(0, 1)), '--allow-path', 'scenarios']);
    expectRefusedInOneLine(r, /service_ms\.sd: expected at most 100 x mean \(0\)/, show(r));
  });

  it('within the bound, the mean the capacity check reads is the mean of what is drawn (draws below 0 are drawn again)', () => {
    const sampler = makeSampler({ dist: 'normal', mean: 25, sd: 25 }, stream(1, 'normal'));
    const draws = 200_000;
    let sum = 0;
    for (let i = 0; i < draws; i++) sum += sampler.sample();
    // about 32.2 (25 + 25 phi(1) / Phi(1)); the untruncated 25 is 14 standard errors away
    expect(Math.abs(sampler.mean - sum / draws)).toBeLessThan(0.2);
    expect(sampler.mean).toBeGreaterThan(30);
  });
});
