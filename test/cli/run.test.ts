import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetsim, REPO, show, type CliResult } from '../helpers/cli.ts';

/**
 * The CLI end to end, as a child process. Spawns are started together in beforeAll (they are
 * independent) and the tests inspect the results; the two that need an earlier report in place
 * run after it. About 13 spawns in all.
 */
const EXAMPLE = 'scenarios/mmc-example.yaml';
// .fleetsim-files.json: the list of what fleetsim wrote (src/report/output-manifest.ts)
const FILES = ['.fleetsim-files.json', 'chart-cdf.svg', 'chart-errors.svg', 'chart-latency.svg', 'chart-stations.svg', 'chart-throughput.svg', 'distributions.csv', 'report.html', 'report.md', 'stations.csv', 'summary.json', 'timeseries.csv'];
const SHORT = ['--set', 'duration_s=300', '--set', 'warmup_s=20'];

let tmp: string;
let reports: string; // parent of every --out directory
const out = (name: string) => join(reports, name);
const r: Record<string, CliResult> = {};
let reportA: Record<string, { text: string; mtimeMs: number }>;

function snapshot(dir: string) {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, { text: readFileSync(join(dir, f), 'utf8'), mtimeMs: statSync(join(dir, f)).mtimeMs }]));
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-cli-'));
  reports = join(tmp, 'reports');
  const typo = join(tmp, 'typo.yaml');
  writeFileSync(typo, readFileSync(join(REPO, EXAMPLE), 'utf8').replace('servers: 10', 'srvers: 10'));
  const jobs: Record<string, string[]> = {
    a: ['run', EXAMPLE, '--seed', '7', '--out', out('a')],
    b: ['run', EXAMPLE, '--seed', '7', '--out', out('b'), '--json'],
    seed8: ['run', EXAMPLE, '--seed', '8', '--json', '--quiet'],
    limits: [
      'run', EXAMPLE, ...SHORT, '--json', '--quiet',
      '--set', 'topology.stations.api.servers=8',
      '--set', 'topology.stations.api.queue_limit=5',
      '--set', 'topology.stations.api.timeout_ms=500',
      '--set', 'topology.stations.db={servers: 2, service_ms: {dist: exponential, mean: 50}}',
      '--set', 'topology.stations.api.next=[{to: db, p: 0.5}]',
    ],
    reps: ['run', EXAMPLE, ...SHORT, '--replications', '3', '--json'],
    validate: ['validate', EXAMPLE],
    schema: ['schema'],
    unknownKey: ['run', typo, '--out', out('never')],
    missing: ['run', 'scenarios/does-not-exist.yaml', '--out', out('never')],
    badSeed: ['run', EXAMPLE, '--seed', 'x', '--out', out('never')],
    badOption: ['run', EXAMPLE, '--bogus', '--out', out('never')],
  };
  const names = Object.keys(jobs);
  const results = await Promise.all(names.map((n) => fleetsim(jobs[n])));
  names.forEach((n, i) => (r[n] = results[i]));
  // These two need report "a" in place: a failing run must leave it untouched.
  if (r.a.code === 0) {
    reportA = snapshot(out('a'));
    const [zero, unwritable] = await Promise.all([
      fleetsim(['run', EXAMPLE, '--set', 'topology.stations.api.servers=0', '--out', out('a')]),
      fleetsim(['run', EXAMPLE, ...SHORT, '--quiet', '--out', join(out('a'), 'summary.json', 'sub')]),
    ]);
    r.zero = zero;
    r.unwritable = unwritable;
  }
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const json = (res: CliResult) => JSON.parse(res.stdout);
const readJson = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
const csv = (dir: string, f: string) => parse(readFileSync(join(dir, f), 'utf8'), { columns: true, cast: true }) as Record<string, number | string>[];

function expectConservation(s: any, tol = 0) {
  const q = s.requests;
  const sum = q.completed + q.failed + q.rejected + q.timed_out + q.in_flight_at_end;
  expect(Math.abs(q.offered - sum), `offered ${q.offered} vs completed+failed+rejected+timed_out+in_flight ${sum} (seed ${s.seed})`).toBeLessThanOrEqual(tol);
}

function expectUsageError(res: CliResult) {
  expect(res.code, show(res)).toBe(2);
  expect(res.stdout, show(res)).toBe('');
  const lines = res.stderr.split('\n').filter((l) => l !== '');
  expect(lines, show(res)).toHaveLength(1);
  expect(res.stderr).not.toMatch(/\n\s+at |internal error|Error:/);
  return lines[0];
}

describe('fleetsim run --out', () => {
  it('exits 0 and writes summary.json, timeseries.csv and stations.csv', () => {
    expect(r.a.code, show(r.a)).toBe(0);
    expect(readdirSync(out('a')).sort()).toEqual(FILES);
    expect(r.a.stdout).toContain('capacity check');
    expect(r.a.stdout).toContain(`report written to ${out('a')}/`);
  });

  it('summary.json has every key the issue lists', () => {
    const s = readJson(out('a'));
    expect(s).toMatchObject({ scenario: 'mmc-example', seed: 7, replications: 1, duration_s: 2000, warmup_s: 200 });
    expect(s.fleetsim_version).toMatch(/^\d+\.\d+\.\d+/);
    for (const k of ['offered', 'completed', 'failed', 'rejected', 'timed_out', 'in_flight_at_end']) {
      expect(Number.isInteger(s.requests[k]), `requests.${k} = ${s.requests[k]}`).toBe(true);
    }
    const latencyKeys = ['p50', 'p90', 'p99', 'p999', 'mean', 'max'];
    const e2e = s.latency_ms.e2e;
    for (const k of latencyKeys) expect(typeof e2e[k], `latency_ms.e2e.${k}`).toBe('number');
    expect(e2e.p50 <= e2e.p90 && e2e.p90 <= e2e.p99 && e2e.p99 <= e2e.p999 && e2e.p999 <= e2e.max * 1.01).toBe(true);
    const api = s.stations.api;
    expect(Object.keys(s.stations)).toEqual(['api']);
    expect(api.utilization).toBeGreaterThan(0);
    expect(api.utilization).toBeLessThanOrEqual(1);
    expect(Number.isInteger(api.completed)).toBe(true);
    for (const block of ['wait_ms', 'sojourn_ms']) for (const k of latencyKeys) expect(typeof api[block][k], `stations.api.${block}.${k}`).toBe('number');
    expect(typeof api.queue_len_mean).toBe('number');
    expect(Number.isInteger(api.queue_len_max)).toBe(true);
    expect(Number.isInteger(s.engine.events) && s.engine.events > 0).toBe(true);
    expect(typeof s.engine.wall_s).toBe('number');
    expect(typeof s.engine.events_per_s).toBe('number');
    expectConservation(s);
  });

  it('timeseries.csv and stations.csv agree with summary.json', () => {
    const s = readJson(out('a'));
    const ts = csv(out('a'), 'timeseries.csv');
    expect(Object.keys(ts[0])).toEqual(['t_start_s', 'warmup', 'arrivals', 'completions', 'errors', 'rejections', 'retries', 'error_rate', 'rejection_rate', 'e2e_p50_ms', 'e2e_p99_ms', 'ttft_p50_ms', 'ttft_p99_ms', 'queued', 'in_flight', 'faults']);
    expect(ts).toHaveLength(100); // 2000 s in windows of 20 s
    expect(ts.map((row) => row.t_start_s)).toEqual(ts.map((_, i) => i * 20));
    const measured = ts.filter((row) => row.warmup === 0);
    expect(measured).toHaveLength(90);
    const total = (k: string) => measured.reduce((a, row) => a + Number(row[k]), 0);
    expect(total('arrivals')).toBe(s.requests.offered);
    expect(total('completions')).toBe(s.requests.completed);
    expect(total('errors')).toBe(s.requests.failed + s.requests.timed_out);
    expect(total('rejections')).toBe(s.requests.rejected);
    const st = csv(out('a'), 'stations.csv');
    expect(st).toHaveLength(1);
    expect(st[0]).toMatchObject({ station: 'api', servers: 10, utilization: s.stations.api.utilization, completed: s.stations.api.completed });
    expect(st[0].queue_len_max).toBe(s.stations.api.queue_len_max);
    expect(st[0].sojourn_p99_ms).toBe(s.stations.api.sojourn_ms.p99);
  });

  it('leaves no temporary directories beside the report', () => {
    expect(r.b.code, show(r.b)).toBe(0);
    expect(readdirSync(reports).sort()).toEqual(['a', 'b']);
  });
});

describe('determinism', () => {
  const withoutWall = (text: string) => text.replace(/^\s*"(wall_s|events_per_s)": .*\n/gm, '');

  it('the same seed gives byte-identical output apart from engine.wall_s and engine.events_per_s', () => {
    const a = readFileSync(join(out('a'), 'summary.json'), 'utf8');
    const b = readFileSync(join(out('b'), 'summary.json'), 'utf8');
    expect(withoutWall(a)).not.toContain('"wall_s"');
    expect(withoutWall(b)).toBe(withoutWall(a));
    for (const f of ['timeseries.csv', 'stations.csv']) expect(readFileSync(join(out('b'), f), 'utf8')).toBe(readFileSync(join(out('a'), f), 'utf8'));
  });

  it('another seed gives different numbers', () => {
    expect(r.seed8.code, show(r.seed8)).toBe(0);
    const a = readJson(out('a'));
    const c = json(r.seed8);
    expect(c.seed).toBe(8);
    expect(c.requests.offered).not.toBe(a.requests.offered);
    expect(c.latency_ms.e2e).not.toEqual(a.latency_ms.e2e);
    expectConservation(c);
  });
});

describe('--json', () => {
  it('prints summary.json, and only that, on stdout (the capacity check goes to stderr)', () => {
    const text = r.b.stdout;
    expect(text.startsWith('{'), show(r.b)).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect(() => JSON.parse(text)).not.toThrow();
    expect(text).toBe(readFileSync(join(out('b'), 'summary.json'), 'utf8'));
    expect(r.b.stderr).toContain('capacity check');
  });

  it('with --quiet nothing else is printed', () => {
    expect(r.seed8.stderr).toBe('');
    expect(() => JSON.parse(r.seed8.stdout)).not.toThrow();
  });
});

describe('conservation with bounded queues and timeouts', () => {
  it('offered = completed + failed + rejected + timed_out + in_flight_at_end, with rejections and timeouts', () => {
    expect(r.limits.code, show(r.limits)).toBe(0);
    const s = json(r.limits);
    expect(s.requests.rejected, 'queue_limit 5 at rho ~1.1 must reject').toBeGreaterThan(0);
    expect(s.requests.timed_out, 'timeout_ms 500 must time requests out').toBeGreaterThan(0);
    expectConservation(s);
    // Every request enters at api, the only station with a bound: the counts match.
    expect(s.stations.api.rejected).toBe(s.requests.rejected);
    expect(s.stations.api.timed_out).toBe(s.requests.timed_out);
    expect(s.stations.db.rejected + s.stations.db.timed_out).toBe(0);
    expect(s.stations.api.queue_len_max).toBeLessThanOrEqual(5);
    expect(s.stations.api.wait_ms.max).toBeLessThanOrEqual(500);
  });
});

describe('--replications', () => {
  it('adds ci95 [lo, hi] beside the figures', () => {
    expect(r.reps.code, show(r.reps)).toBe(0);
    const s = json(r.reps);
    expect(s.replications).toBe(3);
    expect(s.seed).toBe(7);
    const e2e = s.latency_ms.e2e;
    for (const k of ['p50', 'p90', 'p99', 'p999', 'mean', 'max']) {
      const ci = e2e.ci95[k];
      expect(Array.isArray(ci) && ci.length === 2, `latency_ms.e2e.ci95.${k} = ${JSON.stringify(ci)}`).toBe(true);
      expect(ci[0] <= e2e[k] && e2e[k] <= ci[1], `latency_ms.e2e.${k} = ${e2e[k]} outside ${JSON.stringify(ci)}`).toBe(true);
      expect(ci[1]).toBeGreaterThan(ci[0]); // three different seeds: some spread
    }
    for (const [block, key] of [
      [s.requests, 'offered'],
      [s.requests, 'completed'],
      [s.stations.api, 'utilization'],
      [s.stations.api.wait_ms, 'mean'],
      [s.stations.api.sojourn_ms, 'p99'],
    ] as const) {
      const [lo, hi] = block.ci95[key];
      expect(lo <= block[key] && block[key] <= hi, `${key} ${block[key]} outside [${lo}, ${hi}]`).toBe(true);
    }
    // Means of counts still conserve (up to the 7-significant-digit rounding).
    expectConservation(s, 1e-6 * s.requests.offered);
  });
});

describe('fleetsim validate', () => {
  it('exits 0 and prints the capacity check', () => {
    expect(r.validate.code, show(r.validate)).toBe(0);
    expect(r.validate.stdout).toContain(`${EXAMPLE}: valid scenario "mmc-example"`);
    expect(r.validate.stdout).toMatch(/^capacity check \(analytical[,;] mean arrival rate 9\/s/m);
    // tier, offered/s, capacity/s, load: 9 requests/s against 10 servers x 1/s.
    expect(r.validate.stdout).toMatch(/^api\s+9\s+10\s+90%/m);
    expect(r.validate.stderr).toBe('');
  });
});

describe('bad input: exit 2, one line on stderr naming the file and field, no stack trace', () => {
  it('servers=0', () => {
    expect(expectUsageError(r.zero)).toBe(`${EXAMPLE}: topology.stations.api.servers: expected a positive integer, got 0`);
  });

  it('an unknown key in the file', () => {
    const line = expectUsageError(r.unknownKey);
    // servers was misspelt, so it is also missing: the unknown key is the one named, and it explains the missing one.
    // Named at the misspelt key's line and column in the file.
    const lines = readFileSync(join(tmp, 'typo.yaml'), 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('srvers'));
    expect(line).toBe(
      `${join(tmp, 'typo.yaml')}:${at + 1}:${lines[at].indexOf('srvers') + 1}: topology.stations.api.srvers: unknown key "srvers" (did you mean "servers"?); expected one of: servers, service_ms, queue_limit, timeout_ms, deadline_aware, shed_wait_ms, next`,
    );
  });

  it('a missing file', () => {
    expect(expectUsageError(r.missing)).toBe('scenarios/does-not-exist.yaml: cannot read the file (no such file)');
  });

  it('--seed x', () => {
    const line = expectUsageError(r.badSeed);
    expect(line).toContain('--seed');
    expect(line).toContain('expected an integer in [0, 2^53), got "x"');
  });

  it('an unknown option', () => {
    expect(expectUsageError(r.badOption)).toContain("unknown option '--bogus'");
  });

  it('an --out that cannot be created', () => {
    const line = expectUsageError(r.unwritable);
    // a parent is a file: named (it read "cannot write the output (EEXIST)")
    const quoted = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(line).toMatch(new RegExp(`^${quoted(join(out('a'), 'summary.json', 'sub'))}: --out expected a path below directories, but ${quoted(join(out('a'), 'summary.json'))} is a file$`));
  });
});

describe('atomic output', () => {
  it('a failed run leaves no output directory', () => {
    for (const k of ['unknownKey', 'missing', 'badSeed', 'badOption']) expect(r[k].code).toBe(2);
    expect(existsSync(out('never'))).toBe(false);
  });

  it('a failed run leaves an earlier complete report in --out untouched', () => {
    expect(r.zero.code).toBe(2);
    expect(r.unwritable.code).toBe(2);
    expect(snapshot(out('a'))).toEqual(reportA);
    expect(readdirSync(out('a')).sort()).toEqual(FILES);
  });

  it('nothing is left beside the reports: no .tmp-* or .old-* directories', () => {
    expect(readdirSync(reports).sort()).toEqual(['a', 'b']);
  });
});

describe('fleetsim schema', () => {
  it('prints a valid JSON Schema', () => {
    expect(r.schema.code, show(r.schema)).toBe(0);
    const s = json(r.schema);
    expect(s.$schema).toMatch(/json-schema\.org/);
    expect(s.required).toEqual(expect.arrayContaining(['name', 'duration_s', 'workload']));
    expect(Object.keys(s.properties)).toEqual(expect.arrayContaining(['topology', 'fleet']));
    expect(s.properties.topology.properties.stations.additionalProperties.properties.servers).toMatchObject({ type: 'integer', exclusiveMinimum: 0 });
    expect(r.schema.stderr).toBe('');
  });
});
