import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetsim, REPO, show, type CliResult } from '../helpers/cli.ts';
import { main } from '../../src/cli/main.ts';
import { readShards } from '../../src/experiment/merge.ts';

/**
 * sweep, plan and merge end to end. The sweep, its shards and the merge run as child processes
 * (the shards start together in beforeAll; the merge once they are written); the rest runs
 * in this process through the CLI's main(), one at a time, which saves a node start-up each.
 */

/** `fleetsim ...args` in this process: exit code and what it wrote. */
async function inProcess(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const wo = process.stdout.write.bind(process.stdout);
  const we = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => (out.push(String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => (err.push(String(c)), true)) as typeof process.stderr.write;
  const cwd = process.cwd();
  process.exitCode = undefined;
  try {
    process.chdir(REPO);
    const code = await main(['node', 'fleetsim', ...args]);
    return { args, code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.chdir(cwd);
    process.exitCode = undefined;
    process.stdout.write = wo;
    process.stderr.write = we;
  }
}
const EXAMPLE = 'scenarios/mmc-example.yaml';
const DDC = 'test/experiment/fixtures/ddc.yaml';
const SWEEP = [EXAMPLE, '--set', 'duration_s=300', '--set', 'warmup_s=30', '--vary', 'topology.stations.api.servers=10..12:2', '--vary', 'workload.arrivals.rate_per_s=8,8.5', '--replications', '2', '--quiet'];

let tmp: string;
const out = (name: string) => join(tmp, name);
const r: Record<string, CliResult> = {};
const noWall = (text: string) => JSON.stringify(JSON.parse(text), (k, v) => (k === 'wall_s' || k === 'events_per_s' ? 0 : v));

/** Every file under dir, relative path -> content (summary.json with wall-clock fields blanked). */
function tree(dir: string, rel = ''): Record<string, string> {
  const files: Record<string, string> = {};
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(files, tree(dir, p));
    else {
      const text = readFileSync(join(dir, p), 'utf8');
      // the list of what fleetsim wrote digests the summaries' wall-clock fields too: its paths compared
      files[p] = p.endsWith('summary.json') ? noWall(text) : p.endsWith('.fleetsim-files.json') ? Object.keys(JSON.parse(text).files).join('\n') : text;
    }
  }
  return files;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-sweep-cli-'));
  const spawned: Record<string, string[]> = {
    sweep: ['sweep', ...SWEEP, '--jobs', '1', '--out', out('sweep')],
    // the scenario by another path (as in a container): still the same sweep
    shard0: ['sweep', join(REPO, EXAMPLE), ...SWEEP.slice(1), '--jobs', '2', '--shard', '0/2', '--out', out('shard0')],
    shard1: ['sweep', ...SWEEP, '--jobs', '1', '--shard', '1/2', '--out', out('shard1')],
  };
  const names = Object.keys(spawned);
  const pending = Promise.all(names.map((n) => fleetsim(spawned[n])));
  const local: Record<string, string[]> = {
    runJobs1: ['run', EXAMPLE, '--set', 'duration_s=300', '--replications', '3', '--jobs', '1', '--json', '--quiet'],
    runJobs2: ['run', EXAMPLE, '--set', 'duration_s=300', '--replications', '3', '--jobs', '2', '--json', '--quiet'],
    plan: ['plan', DDC, '--slo', 'latency_ms.e2e.p99<=1100', '--vary', 'topology.stations.api.servers=1..32:1', '--minimize', 'stations.api.servers', '--jobs', '1', '--out', out('plan')],
    planNone: ['plan', DDC, '--slo', 'latency_ms.e2e.p99<=900', '--vary', 'topology.stations.api.servers=8..16:4', '--minimize', 'stations.api.servers', '--jobs', '1', '--quiet'],
    badVary: ['sweep', EXAMPLE, '--vary', 'topology.stations.api.servers=12..8:1', '--out', out('never')],
    badVaryPath: ['sweep', EXAMPLE, '--vary', 'topology.stations.api.srvers=1,2', '--out', out('never')],
    badValue: ['sweep', EXAMPLE, '--vary', 'topology.stations.api.servers=0,1', '--out', out('never')],
    badShard: ['sweep', EXAMPLE, '--shard', '2/2', '--out', out('never')],
    shardNoOut: ['sweep', EXAMPLE, '--shard', '0/2'],
    badSlo: ['plan', DDC, '--slo', 'latency_ms.e2e.p99=~1', '--vary', 'topology.stations.api.servers=1..4'],
    badJobs: ['sweep', EXAMPLE, '--jobs', '0'],
  };
  for (const [n, args] of Object.entries(local)) r[n] = await inProcess(args);
  const results = await pending;
  names.forEach((n, i) => (r[n] = results[i]));
  const [merge, mergeMissing] = await Promise.all([
    fleetsim(['merge', out('shard1'), out('shard0'), '--out', out('merged'), '--quiet']),
    fleetsim(['merge', out('shard0'), '--out', out('never')]),
  ]);
  r.merge = merge;
  r.mergeMissing = mergeMissing;
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fleetsim sweep', () => {
  it('writes sweep.json, sweep.csv, a report per point and the charts', () => {
    expect(r.sweep.code, show(r.sweep)).toBe(0);
    const files = Object.keys(tree(out('sweep')));
    for (const f of ['sweep.json', 'sweep.csv', 'points/0000/summary.json', 'points/0003/timeseries.csv', 'points/0003/stations.csv', 'charts/cost-vs-p99.svg', 'charts/cost-vs-p99.vl.json', 'charts/p99-vs-topology-stations-api-servers.svg', 'charts/p99-vs-workload-arrivals-rate_per_s.svg']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('points/') && f.endsWith('summary.json'))).toHaveLength(4);
    expect(readFileSync(out('sweep/charts/cost-vs-p99.svg'), 'utf8')).toMatch(/^<svg/);
    const csv = readFileSync(out('sweep/sweep.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[0]).toMatch(/^point,topology\.stations\.api\.servers,workload\.arrivals\.rate_per_s,replications,complete,steady_state,warnings,e2e_p50_ms,e2e_p50_ms_lo95,e2e_p50_ms_hi95,e2e_p99_ms,/);
    expect(csv[1]).toMatch(/^0,10,8,2,1,yes,,/);
  });

  it('merged shards equal the unsharded sweep, file for file (wall-clock fields aside)', () => {
    for (const k of ['shard0', 'shard1', 'merge']) expect(r[k].code, show(r[k])).toBe(0);
    expect(existsSync(out('shard0/shard.json'))).toBe(true);
    expect(tree(out('merged'))).toEqual(tree(out('sweep')));
  });

  it('merge refuses an edited shard.json: a run file outside its shard, a run listed twice or in the wrong shard, a changed sweep description', () => {
    const edited = (name: string, edit: (m: { sweep: { points: number }; runs: { file: string; point: number; replication: number }[] }) => void) => {
      const dir = out(name);
      cpSync(out('shard1'), dir, { recursive: true });
      const m = JSON.parse(readFileSync(join(dir, 'shard.json'), 'utf8'));
      edit(m);
      writeFileSync(join(dir, 'shard.json'), JSON.stringify(m));
      return dir;
    };
    const refusal = (dir: string) => {
      try {
        readShards([out('shard0'), dir]);
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(refusal(edited('escape', (m) => (m.runs[0].file = '../shard0/runs/p0-r0.json')))).toBe(`merge: ${join(out('escape'), 'shard.json')}: runs: file "../shard0/runs/p0-r0.json": expected a relative path inside the shard directory`);
    expect(refusal(edited('twice', (m) => m.runs.push(m.runs[0])))).toMatch(/runs: point \d+ replication \d+ is listed twice$/);
    // two replications a point over two shards: the other replication of a run is the other shard's
    expect(refusal(edited('wrong-shard', (m) => (m.runs[0].replication = 1 - m.runs[0].replication)))).toMatch(/belongs to shard 0\/2, not to this one$/);
    expect(refusal(edited('points', (m) => (m.sweep.points = 1e12)))).toMatch(/are shards of different sweeps/);
    // a key twice in one object: JSON.parse would keep the second `file` without a word
    const twiceKey = edited('key-twice', () => {});
    const manifest = readFileSync(join(twiceKey, 'shard.json'), 'utf8');
    writeFileSync(join(twiceKey, 'shard.json'), manifest.replace('"file":', '"file":"runs/p0-r0.json","file":'));
    expect(refusal(twiceKey)).toBe(`merge: ${join(twiceKey, 'shard.json')} line 1: key "file" appears twice in one object (JSON would keep the last without a word; remove one)`);
  });

  it('merge refuses an incomplete set of shards', () => {
    expect(r.mergeMissing.code, show(r.mergeMissing)).toBe(2);
    expect(r.mergeMissing.stderr.trim()).toBe('merge: missing shard 1/2; expected all 2 shards of the sweep');
  });

  it('run --replications gives the same summary on 1 and 2 jobs', () => {
    expect(r.runJobs1.code, show(r.runJobs1)).toBe(0);
    expect(r.runJobs2.code, show(r.runJobs2)).toBe(0);
    expect(noWall(r.runJobs2.stdout)).toBe(noWall(r.runJobs1.stdout));
  });

  it.each([
    ['badVary', /^--vary topology\.stations\.api\.servers=12\.\.8:1: expected lo <= hi/],
    ['badVaryPath', /^--vary: at point 0 \(topology\.stations\.api\.srvers=1\): scenarios\/mmc-example\.yaml: .*srvers/],
    ['badValue', /^--vary: at point 0 \(topology\.stations\.api\.servers=0\): scenarios\/mmc-example\.yaml: topology\.stations\.api\.servers/],
    ['badShard', /^--shard 2\/2: expected i\/N with 0 <= i < N/],
    ['shardNoOut', /^--shard: expected --out DIR too/],
    ['badSlo', /^--slo latency_ms\.e2e\.p99=~1: expected metric<=value/],
    ['badJobs', /^fleetsim: option '--jobs <n>' argument '0' is invalid/],
  ])('%s: one line on stderr, exit 2, nothing written', (name, msg) => {
    const res = r[name];
    expect(res.code, show(res)).toBe(2);
    expect(res.stderr).toMatch(msg);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out('never'))).toBe(false);
  });
});

describe('fleetsim plan', () => {
  it('prints what was tried and the cheapest configuration, and writes the plan', () => {
    expect(r.plan.code, show(r.plan)).toBe(0);
    expect(r.plan.stdout).toContain('cheapest configuration meeting every SLO: topology.stations.api.servers=10');
    expect(r.plan.stdout).toMatch(/rejected: latency_ms\.e2e\.p99 = [\d.]+, not <= 1100/);
    const plan = JSON.parse(readFileSync(out('plan/plan.json'), 'utf8'));
    expect(plan).toMatchObject({ kind: 'plan', minimize: 'stations.api.servers', monotone_knobs: ['topology.stations.api.servers'], chosen: { values: { 'topology.stations.api.servers': 10 }, feasible: true } });
    for (const f of ['plan.csv', 'summary.json', 'charts/pareto.svg', 'charts/pareto.vl.json']) expect(existsSync(out(`plan/${f}`)), f).toBe(true);
    expect(JSON.parse(readFileSync(out('plan/summary.json'), 'utf8')).stations.api.servers).toBe(10);
  });

  it('exits 1 when nothing meets the SLOs', () => {
    expect(r.planNone.code, show(r.planNone)).toBe(1);
    expect(r.planNone.stderr).toContain('no configuration tried meets every SLO with confidence');
  });
});
