import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * Hostile inputs to the commands of fleetsim 0.2 that write or simulate: calibrate never writes
 * over its measurements nor a profile that perf refuses; a run that combines every new feature, and
 * a storm of spot reclaims with no notice, replacement or load time, run bounded and report finite
 * figures. The table of cases is docs/hostile-inputs.md.
 */
const tmp = suiteTempDir('fleetsim-hostile-commands-');
const SPLITWISE = readFileSync('scenarios/data/splitwise/llama2-70b-a100.csv', 'utf8').split('\n');
const HEADER = SPLITWISE[0];

const expectOneLine = expectRefusedInOneLine;

describe('calibrate', () => {
  it('refuses an --out that is its measurements file, leaving it as it was', async () => {
    const text = SPLITWISE.slice(0, 20).join('\n') + '\n';
    const measurements = tmp.write('measurements.csv', text);
    const r = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', measurements]);
    expectOneLine(r, /--out is the input .*measurements\.csv; refusing to overwrite an input/, show(r));
    expect(readFileSync(measurements, 'utf8')).toBe(text);
    // Through another spelling of the same path, too.
    const again = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', join(tmp.dir(), '.', 'measurements.csv')]);
    expect(again.code, show(again)).toBe(2);
    expect(readFileSync(measurements, 'utf8')).toBe(text);
  });

  it('refuses --near-capacity without --serving, in one line', async () => {
    const r = await runMain(['calibrate', '--corpus', '--stack', 'sglang', '--near-capacity']);
    expectOneLine(r, /--near-capacity: only with --serving/, show(r));
  });

  it('refuses a --since or --before without a number (it bounded nothing: every row was fitted) and a bad --gpu-memory-utilization with --corpus, in one line', async () => {
    const corpus = ['--corpus', 'test/fidelity/fixtures/synthetic-corpus.csv', '--stack', 'vllm', '--split', 'all', '--fit', 'step_overhead_ms'];
    const since = await runMain(['calibrate', ...corpus, '--since', 'latest']);
    expectOneLine(since, /^--since: expected a version with a number \(e\.g\. 0\.6 or v0\.12\), got "latest"$/, show(since));
    const before = await runMain(['calibrate', ...corpus, '--before', 'x y']);
    expectOneLine(before, /^--before: expected a version with a number/, show(before));
    const fraction = await runMain(['calibrate', ...corpus, '--gpu-memory-utilization', 'NaN']);
    expectOneLine(fraction, /^--gpu-memory-utilization: expected a number in \(0, 1\], got "NaN"$/, show(fraction));
  });

  it('refuses a fit to a 1e308 ms timing (a profile perf would refuse) and writes nothing', async () => {
    const measurements = tmp.write('huge.csv', `${HEADER}\nllama2-70b,a100-80gb,512,1,128,1,0.7,1e308,1e308,1e308,2\n`);
    const out = join(tmp.dir(), 'huge-profile.json');
    const r = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', out]);
    // slower than any profile allows, the run is left out (since 2026-12-07; the fit drove
    // step_overhead_ms past its bound chasing it before), and nothing is left to fit
    expectOneLine(r, /huge\.csv: line 2: slower than any profile allows \(prefill 1e\+308 ms, at most .* ms possible\), the only one: nothing left to fit/, show(r));
    expect(r.stderr.startsWith(`${measurements}: line 2`), show(r)).toBe(true);
    expect(existsSync(out)).toBe(false);
  });

  it('a profile it writes from real measurements is one perf loads', async () => {
    const measurements = tmp.write('real.csv', SPLITWISE.slice(0, 40).join('\n') + '\n');
    const out = join(tmp.dir(), 'real-profile.json');
    const fit = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', out]);
    expect(fit.code, show(fit)).toBe(0);
    const perf = await runMain(['perf', '--model', 'llama-2-70b', '--gpu', 'a100-80gb', '--tp', '2', '--calibration', out, '--json']);
    expect(perf.code, show(perf)).toBe(0);
  });

  it('replaces an earlier profile whole and leaves no temporary file, whether the write succeeds or fails', async () => {
    const measurements = tmp.write('replace.csv', SPLITWISE.slice(0, 40).join('\n') + '\n');
    const dir = join(tmp.dir(), 'profiles');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, 'profile.json');
    cpSync('src/perf/profiles/vllm.json', out); // an earlier profile (another file is refused: outputs-ninth.test.ts)
    const fit = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', out]);
    expect(fit.code, show(fit)).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveProperty('step_overhead_ms');
    expect(readdirSync(dir)).toEqual(['profile.json']);
    // A directory where the file should go: refused before the fit, one line, exit 2, nothing left beside it.
    const blocked = join(dir, 'taken');
    mkdirSync(join(blocked, 'child'), { recursive: true });
    const r = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', blocked]);
    expectOneLine(r, /^--out .*taken: a directory; expected a regular file or a new path$/, show(r));
    expect(readdirSync(dir).sort()).toEqual(['profile.json', 'taken']);
  });
});

describe('a scenario that extends a base', () => {
  it('counts the base as an input: run and sweep refuse an --out that holds it (an earlier report the base was saved in), and the base is left as it was', async () => {
    // An earlier report directory, which --out may otherwise replace, now holding the base.
    const report = join(tmp.dir(), 'extends', 'earlier-report');
    const first = await runMain(['run', 'scenarios/mmc-example.yaml', '--set', 'duration_s=5', '--set', 'warmup_s=0', '--out', report]);
    expect(first.code, show(first)).toBe(0);
    const base = tmp.write('extends/earlier-report/base.yaml', readFileSync('scenarios/mmc-example.yaml', 'utf8'));
    const scenario = tmp.write('extends/child.yaml', 'extends: earlier-report/base.yaml\nduration_s: 5\nwarmup_s: 0\n');
    const before = readFileSync(base, 'utf8');
    for (const argv of [['run', scenario, '--out', report], ['sweep', scenario, '--vary', 'seed=1,2', '--out', report]]) {
      const r = await runMain(argv);
      // base.yaml is not a file fleetsim writes in a report: the directory is refused for it
      expectOneLine(r, /earlier-report: --out expected .*; refusing to replace a directory holding what fleetsim did not write: base\.yaml; choose another --out or empty it$/, show(r));
      expect(readFileSync(base, 'utf8')).toBe(before);
    }
    // Beside it, the run writes.
    const ok = await runMain(['run', scenario, '--out', join(tmp.dir(), 'extends', 'report')]);
    expect(ok.code, show(ok)).toBe(0);
  });
});

/** Every number of a summary block, with its path; null where a number should be is what Infinity and NaN become in JSON. */
function nonFinite(value: unknown, path: string, out: string[]): string[] {
  if (value === null) out.push(path);
  else if (typeof value === 'number' && !Number.isFinite(value)) out.push(path);
  else if (typeof value === 'object') for (const [k, v] of Object.entries(value as object)) nonFinite(v, `${path}.${k}`, out);
  return out;
}

describe('runs that must stay bounded', () => {
  const SMALL = ['fleet.scale=0.002', 'duration_s=5', 'warmup_s=0', 'limits.max_wall_s=60'];
  const DISAGGREGATED = 'fleet.models.gpt-4.disaggregation={prefill: {gpus: 800}, decode: {}, kv_link: {bandwidth_gbps: 100}}';
  const SPOT = 'fleet.models.gpt-4.purchase={on_demand: 0.5, spot: 0.5}';
  const run = (sets: string[]) => runMain(['run', 'scenarios/openai-2024.yaml', '--json', ...[...SMALL, ...sets].flatMap((s) => ['--set', s])]);

  it('disaggregation, speculative decoding, classes, sessions, prefix caching, cancellation, a purchase mix, spot reclaims and a KV-link fault at once', async () => {
    const r = await run([
      DISAGGREGATED, SPOT,
      'fleet.models.gpt-4.speculative={method: eagle, tokens_per_step: 3, acceptance_rate: 0.6}',
      'fleet.classes={interactive: {share: 0.5, priority: 0}, batch: {share: 0.5, priority: 1}}',
      'fleet.models.gpt-4.sessions={share: 0.5, turns: {dist: constant, value: 3}, think_time_ms: {dist: constant, value: 100}, message_tokens: {dist: constant, value: 50}}',
      'fleet.models.gpt-4.batching.prefix_caching=true', 'fleet.models.gpt-4.router={policy: prefix_affinity}', 'fleet.models.gpt-4.cancel_on_disconnect=true',
      'faults=[{kind: spot-reclaim, at_s: 0, duration_s: 5, target: gpu:gpt-4:decode, accelerate: 100000}, {kind: kv-link, at_s: 1, duration_s: 2, target: gpu:gpt-4}]',
    ]);
    expect(r.code, show(r)).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.complete).toBe(true);
    expect(s.requests.offered).toBeGreaterThan(0);
    expect(nonFinite(s.energy, 'energy', []).filter((p) => !p.includes('.series.'))).toEqual([]);
    expect(nonFinite(s.cost, 'cost', [])).toEqual([]);
  });

  it('the fastest spot reclaims allowed, with no notice, replacement or load time, still let the clock advance', async () => {
    const t0 = performance.now();
    const r = await run([SPOT, 'fleet.s3={stored_gb: 1, load_gb_per_s: 1e300}',
      'faults=[{kind: spot-reclaim, at_s: 0, duration_s: 5, target: gpu:gpt-4, accelerate: 10000000, interruptions_per_month: 730, notice_s: 0, back_after_s: 0, replace_s: 0}]']);
    expect(r.code, show(r)).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.complete).toBe(true);
    expect(s.faults[0].occurrences).toBeGreaterThan(100);
    expect(performance.now() - t0).toBeLessThan(60_000);
  });
});

/**
 * Limits found on 2026-12-06: each of these ran out of heap (exit 134), stopped on an internal
 * error (exit 70) or picked a lucky seed; each is now refused up front in one line, or stopped in
 * one line naming the limit.
 */
describe('limits held before the work starts', () => {
  it('a trace whose lines would not fit in memory is refused before it is parsed, naming the file and the limit', async () => {
    const dir = join(tmp.dir(), 'trace-memory');
    mkdirSync(dir, { recursive: true });
    // 2,000 lines at 0.9 KB each need 1.7 MB: over a limit of 0.001 GB
    const lines = ['TIMESTAMP,ContextTokens,GeneratedTokens', ...Array.from({ length: 2000 }, (_, i) => `${i / 10},100,10`)];
    writeFileSync(join(dir, 'trace.csv'), `${lines.join('\n')}\n`);
    const scenario = readFileSync('scenarios/mmc-example.yaml', 'utf8').replace(/arrivals: \{[^}]*\}/, 'arrivals: { kind: trace, file: trace.csv }');
    writeFileSync(join(dir, 'scenario.yaml'), scenario);
    const r = await runMain(['validate', join(dir, 'scenario.yaml'), '--set', 'limits.max_memory_gb=0.001']);
    expectOneLine(r, /workload\.arrivals\.file: trace\.csv: a trace of 2,002 lines needs about 0\.0 GB to read \(0\.9 KB a line\), over the limit of 0\.001 GB/, show(r));
  });

  it('plan --replications counts every replication it holds at once, and refuses to search the seed', async () => {
    const plan = ['plan', 'scenarios/quickstart.yaml', '--slo', 'latency_ms.e2e.p99<=700', '--vary', 'topology.stations.api.servers=8..32', '--minimize', 'topology.stations.api.servers'];
    const many = await runMain([...plan, '--replications', '100000', '--set', 'duration_s=10', '--set', 'warmup_s=0']);
    expectOneLine(many, /this would need about [\d.]+ GB of memory \(100,001 merged time series/, show(many));
    const seeded = await runMain([...plan, '--vary', 'seed=1..100']);
    expectOneLine(seeded, /^--vary seed=1\.\.100: a plan searches a design, and the seed is not one/, show(seeded));
  });

  it('requests in flight are bounded by the memory limit: past it the run stops in one line naming the limit, writing nothing', async () => {
    const out = join(tmp.dir(), 'in-flight');
    // 10,000 arrivals a second on one server of 120 ms, nothing shed: the backlog grows ~10,000 a second
    const r = await runMain(['run', 'scenarios/quickstart.yaml', '--quiet', '--set', 'duration_s=60', '--set', 'warmup_s=0', '--set', 'workload.arrivals.rate_per_s=10000', '--set', 'topology.stations.api.queue_limit=1000000', '--set', 'topology.stations.api.timeout_ms=1e9', '--set', 'limits.max_memory_gb=0.05', '--out', out]);
    expectOneLine(r, /the run stopped: more than 139,810 requests in flight \(an overloaded tier, or limits\.max_queue above what memory holds\); nothing written$/, show(r));
    expect(existsSync(out)).toBe(false);
  });

  it('a report of a million windows counts the report too (it ran out of heap writing report.html)', async () => {
    const r = await runMain(['run', 'scenarios/quickstart.yaml', '--set', 'duration_s=1000000', '--set', 'window_s=1', '--set', 'workload.arrivals.rate_per_s=0.001', '--out', join(tmp.dir(), 'million-windows')]);
    expectOneLine(r, /the report of 1,000,000 windows: [\d.]+ GB; 1,000,000 time-series windows of 1 s/, show(r));
    const without = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'duration_s=1000000', '--set', 'window_s=1', '--set', 'workload.arrivals.rate_per_s=0.001']);
    expect(without.code, show(without)).toBe(0);
  });
});

describe('--out never replaces a trace the scenario reads', () => {
  it('sweep, plan and plan --fleet refuse an earlier report at --out that holds the trace (sweep replaced it)', async () => {
    const dir = join(tmp.dir(), 'trace-in-report');
    const report = join(dir, 'old-report');
    mkdirSync(report, { recursive: true });
    writeFileSync(join(report, 'summary.json'), '{"fleetsim_version": "0.1.0"}\n'); // an earlier fleetsim output, which --out may replace
    const trace = readFileSync('scenarios/data/azure-llm-2023/conv.csv', 'utf8').split('\n').slice(0, 200).join('\n') + '\n';
    // named like a file of a report (another name is refused as not fleetsim's: outputs-ninth.test.ts)
    writeFileSync(join(report, 'timeseries.csv'), trace);
    const scenario = readFileSync('scenarios/mmc-example.yaml', 'utf8').replace(/arrivals: \{[^}]*\}/, 'arrivals: { kind: trace, file: old-report/timeseries.csv, loop: true }');
    expect(scenario).toContain('old-report/timeseries.csv');
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, scenario);
    const sets = ['--set', 'duration_s=20', '--set', 'warmup_s=2'];
    const commands = [
      ['sweep', file, ...sets, '--vary', 'seed=1,2', '--out', report, '--quiet'],
      ['plan', file, ...sets, '--vary', 'topology.stations.api.servers=10..14', '--slo', 'latency_ms.e2e.p99<=100000', '--out', report, '--quiet'],
      ['run', file, ...sets, '--out', report, '--quiet'],
    ];
    for (const args of commands) {
      const r = await runMain(args);
      // a trace is not a CSV of fleetsim's either (its header): refused as that, or as the input, never replaced
      expectOneLine(r, /--out contains the input .*old-report\/timeseries\.csv; refusing to overwrite an input|timeseries\.csv \(not fleetsim's: not its CSV header\)/, show(r));
      expect(readFileSync(join(report, 'timeseries.csv'), 'utf8')).toBe(trace);
    }
  });
});

/**
 * An option that takes one value, given twice: commander kept the last without a word, so `perf
 * --gpu h100 --gpu h200` answered for H200 whichever the user meant. Now refused in one line naming
 * the option and both values, before the command does anything; repeatable options (`--set`,
 * `--corpus <files...>`) and flags given twice are not.
 */
describe('an option given twice', () => {
  it('is refused in one line naming it and both values, in either spelling, and nothing is written', async () => {
    const spaced = await runMain(['perf', '--model', 'llama-3.1-8b', '--gpu', 'h100', '--gpu', 'h200']);
    expectOneLine(spaced, /^fleetsim perf: --gpu given twice \("h100", then "h200"\): give it once$/, show(spaced));
    const joined = await runMain(['perf', '--model=llama-3.1-8b', '--tp', '1', '--model=llama-3.1-70b', '--gpu', 'h100']);
    expectOneLine(joined, /^fleetsim perf: --model given twice \("llama-3\.1-8b", then "llama-3\.1-70b"\)/, show(joined));
    const out = join(tmp.dir(), 'twice-out');
    const run = await runMain(['run', 'scenarios/openai-2024.yaml', '--seed', '1', '--out', out, '--seed', '2']);
    expectOneLine(run, /^fleetsim run: --seed given twice \("1", then "2"\)/, show(run));
    expect(existsSync(out)).toBe(false);
  });

  it('leaves repeatable options, a flag twice and a value that looks like an option alone', async () => {
    const sets = await runMain(['validate', 'scenarios/openai-2024.yaml', '--set', 'duration_s=100', '--set', 'seed=3']);
    expect(sets.code, show(sets)).toBe(0);
    const flags = await runMain(['perf', '--model', 'llama-3.1-8b', '--gpu', 'h100', '--json', '--json']);
    expect(flags.code, show(flags)).toBe(0);
    // the value of --model is a token that starts with "--": it is not read as a second --gpu
    const value = await runMain(['perf', '--gpu', 'h100', '--model', '--gpu']);
    expect(value.stderr, show(value)).not.toMatch(/given twice/);
  });
});
