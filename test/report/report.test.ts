import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { compile } from 'vega-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetsim, REPO, show, type CliResult } from '../helpers/cli.ts';
import { checkJsonSchemaWithRefs } from '../helpers/json-schema-ref.ts';
import { buildCharts } from '../../src/report/charts/specs.ts';
import { renderMarkdown } from '../../src/report/tables.ts';
import type { Summary } from '../../src/results/summary.ts';
import type { ReportInput } from '../../src/report/charts/input.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { runMain } from '../check/run-main.ts';

/**
 * The report files of both kinds of scenario, from the CLI (--out), checked against the JSON
 * Schema of summary.json, and the chart specs and SVGs they are drawn from.
 */
const SCHEMA = JSON.parse(readFileSync(join(REPO, 'src/report/summary.schema.json'), 'utf8'));
const FLEET = ['scenarios/openai-2024.yaml', '--set', 'duration_s=50', '--set', 'warmup_s=10'];
const STATIONS = ['scenarios/mmc-example.yaml', '--set', 'duration_s=600', '--set', 'warmup_s=60'];

let tmp: string;
const r: Record<string, CliResult> = {};
/** Replicated summaries (with ci95 blocks), run in-process. */
let fleetReps: Summary;
let stationReps: Summary;
const dir = (name: string) => join(tmp, name);
const readJson = (d: string) => JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as Summary;
const rows = (d: string) => parseCsv(readFileSync(join(d, 'timeseries.csv'), 'utf8'), { columns: true, cast: true }) as Record<string, unknown>[];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'fleetsim-report-'));
  // The fleet report from the real binary; the station network's through main() in-process.
  const running = fleetsim(['run', ...FLEET, '--out', dir('fleet'), '--quiet']);
  r.stations = await runMain(['run', ...STATIONS, '--out', dir('stations'), '--quiet']);
  const sets = (args: string[]) => args.filter((_, i) => args[i - 1] === '--set');
  const fleetPrep = prepare(loadScenario(FLEET[0], [...sets(FLEET), 'duration_s=30']));
  fleetReps = runReplications(fleetPrep, 1, 2).summary;
  stationReps = runReplications(prepare(loadScenario(STATIONS[0], sets(STATIONS))), 7, 3).summary;
  r.fleet = await running;
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A fleet summary with what the faults branch adds, for the fault bands. */
function withFaults(s: Summary): Summary {
  return {
    ...s,
    faults: [
      { index: 0, kind: 'redis_failover', target: 'us-east/redis', start_s: 20, detected_s: 22, mitigated_s: 30, end_s: 35, recovered_s: 38 },
      { index: 1, kind: 'gpu_cluster_failure', target: 'gpt-4/us-west', start_s: 40, detected_s: null, mitigated_s: null, end_s: 50, recovered_s: null },
    ],
  } as Summary;
}

describe('summary.json and its JSON Schema (src/report/summary.schema.json)', () => {
  it('the runs succeeded', () => {
    for (const k of Object.keys(r)) expect(r[k].code, show(r[k])).toBe(0);
  });

  it('validates a station-network summary, a fleet summary and replicated ones of both', () => {
    const docs: [string, unknown][] = [
      ['stations', readJson(dir('stations'))],
      ['fleet', readJson(dir('fleet'))],
      ['fleet --replications 2', fleetReps],
      ['stations --replications 3', stationReps],
      ['fleet with faults', withFaults(readJson(dir('fleet')))],
    ];
    for (const [name, doc] of docs) expect(checkJsonSchemaWithRefs(SCHEMA, doc), name).toEqual([]);
    // The replicated ones do carry ci95 blocks (so the schema's ci95 entries are exercised).
    expect(fleetReps.by_model!['gpt-4'].latency_ms.ttft.ci95?.p99).toHaveLength(2);
    // The verdict's SLO figure over replications is the mean p99, within its (positive) interval.
    const slo = fleetReps.verdict.slo['gpt-4'];
    expect(slo.value_ms).toBe(fleetReps.by_model!['gpt-4'].latency_ms.ttft.p99);
    expect(slo.interval![0]).toBeGreaterThan(0);
    expect(slo.interval![0]).toBeLessThanOrEqual(slo.value_ms!);
    expect(slo.interval![1]).toBeGreaterThanOrEqual(slo.value_ms!);
    expect(renderMarkdown(fleetReps)).toMatch(/gpt-4: TTFT p99 [\d,]+ ms \(95% CI \[[\d,]+,\u00a0[\d,]+\]\)/);
  });

  it('is not vacuous: it rejects unknown fields, missing ones and wrong types, naming the path', () => {
    const s = readJson(dir('fleet')) as unknown as Record<string, any>;
    const bad = (f: (x: any) => void) => {
      const x = structuredClone(s);
      f(x);
      return checkJsonSchemaWithRefs(SCHEMA, x).join('\n');
    };
    expect(bad((x) => (x.surprise = 1))).toMatch(/\$\.surprise: not allowed/);
    expect(bad((x) => delete x.requests.error_rate)).toMatch(/\$\.requests\.error_rate: required/);
    expect(bad((x) => (x.by_model['gpt-4'].latency_ms.ttft.p99 = 'slow'))).toMatch(/by_model\.gpt-4\.latency_ms\.ttft\.p99: expected type number\|null/);
    expect(bad((x) => (x.engine.stop_reason = 'bored'))).toMatch(/engine\.stop_reason: not in enum/);
    expect(bad((x) => (x.gpu['gpt-4'].ci95 = { busy_fraction: [1] }))).toMatch(/ci95\.busy_fraction: fewer than 2 items/);
    expect(bad((x) => (x.faults = [{ kind: 'x', start_s: 1 }]))).toMatch(/faults\[0\]\.target: required/);
    expect(bad((x) => delete x.verdict)).toMatch(/\$\.verdict: required/);
    expect(bad((x) => x.verdict.warnings.push({ code: 'gloomy', message: 'x' }))).toMatch(/verdict\.warnings\[\d+\]\.code: not in enum/);
    expect(bad((x) => delete x.verdict.slo['gpt-4'].met)).toMatch(/verdict\.slo\.gpt-4\.met: required/);
  });
});

describe('report files (--out)', () => {
  it('writes report.html, report.md and one SVG per chart beside summary.json and the CSVs', () => {
    const fleet = readdirSync(dir('fleet')).sort();
    expect(fleet).toEqual(
      [
        'chart-cdf.svg', 'chart-cost.svg', 'chart-errors.svg', 'chart-gpu.svg', 'chart-latency.svg', 'chart-power.svg', 'chart-stages.svg', 'chart-stations.svg', 'chart-throughput.svg',
        'distributions.csv', 'report.html', 'report.md', 'stations.csv', 'summary.json', 'timeseries.csv',
        '.fleetsim-files.json', // the list of what fleetsim wrote (output-manifest.ts)
      ].sort(),
    );
    // A station network has no fleet blocks: those charts are left out, not drawn empty.
    const stations = readdirSync(dir('stations')).filter((f) => f.endsWith('.svg')).sort();
    expect(stations).toEqual(['chart-cdf.svg', 'chart-errors.svg', 'chart-latency.svg', 'chart-stations.svg', 'chart-throughput.svg']);
  });

  it('report.html is one self-contained file: vega inlined, no CDN, no external reference', () => {
    for (const d of [dir('fleet'), dir('stations')]) {
      const html = readFileSync(join(d, 'report.html'), 'utf8');
      expect(html).toMatch(/<script>\n\/\*! vega 6\.\d+\.\d+/);
      expect(html).not.toMatch(/<script[^>]+src=/);
      expect(html).not.toMatch(/<link[^>]+href=/);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(html).not.toMatch(/vega-lite|vega-embed|cdn\.jsdelivr|unpkg/i);
      expect(statSync(join(d, 'report.html')).size).toBeLessThan(1_000_000);
    }
  });

  it('report.md opens with the verdict: SLOs with their figures, the bill against the reference, every warning', () => {
    const md = readFileSync(join(dir('fleet'), 'report.md'), 'utf8');
    const s = readJson(dir('fleet'));
    const verdictAt = md.indexOf('### Verdict: ');
    expect(verdictAt).toBeGreaterThan(0);
    expect(verdictAt).toBeLessThan(md.indexOf('### Requests'));
    const verdict = md.slice(verdictAt, md.indexOf('### Requests'));
    for (const [model, v] of Object.entries(s.verdict.slo)) {
      expect(verdict).toMatch(new RegExp(`- (\\*\\*)?${model.replace(/\./g, '\\.')}: ${v.metric === 'ttft.p99' ? 'TTFT' : 'e2e'} p99 [\\d,.]+ ms .*target [\\d,]+ ms: ${v.met ? 'met' : 'MISSED'}`));
    }
    expect(verdict).toMatch(/monthly bill \(full fleet\): \$[\d,]+ against a reference of \$183,000,000/);
    expect(s.verdict.warnings.length).toBeGreaterThan(0);
    for (const w of s.verdict.warnings) if (w.code !== 'not_steady') expect(verdict).toContain(`warning (${w.code})`);
    // 50 s with 5-s windows: too few in the second half to judge, and the verdict says so.
    expect(s.verdict.warnings.map((w) => w.code)).toContain('steady_state_unjudged');
    expect(verdict).toMatch(/^### Verdict: SLO missed for 2 of 3 models; steady state not judged; \d warnings/);
    expect(verdict).not.toContain('steady state: yes');
  });

  it('report.md holds the summary tables and is short enough for a pull request', () => {
    const md = readFileSync(join(dir('fleet'), 'report.md'), 'utf8');
    for (const h of ['## fleetsim: openai-2024', '### Requests', '### Latency (ms)', '### By model', '### GPU clusters', '### Monthly cost']) expect(md).toContain(h);
    // The long tables are folded (GitHub renders <details> collapsed).
    for (const h of ['<details><summary><b>Stages (ms)</b></summary>', '<details><summary><b>Energy and carbon (full fleet)</b></summary>', '<details><summary><b>Busiest stations (6 of 24; all in stations.csv)</b></summary>']) expect(md).toContain(h);
    expect(md).toMatch(/\| gpt-3\.5-turbo \| [\d,]+ \|/);
    // about 100 lines, with the folded energy table and its assumptions (fleetsim 0.2, 2026-12), and
    // the by-model table's note on its thin percentiles (a 50-s run: a few hundred requests a model)
    expect(md.split('\n').length).toBeLessThan(118);
    const st = readFileSync(join(dir('stations'), 'report.md'), 'utf8');
    expect(st).toContain('### Stations');
    expect(st).not.toContain('### By model');
    expect(st.split('\n').length).toBeLessThan(40);
  });

  it('report.md of a replicated run shows the 95% CI; of a faulted one, the fault windows', () => {
    const md = renderMarkdown(stationReps);
    expect(md).toMatch(/3 replications \(seeds 7\.\.9/);
    const [, mean, lo, hi] = /\| e2e \| ([\d,.]+) \[([\d,.]+),\u00a0([\d,.]+)\] \|/.exec(md)!.map((x) => Number(x.replace(/,/g, '')));
    expect(lo).toBeLessThan(mean);
    expect(hi).toBeGreaterThan(mean);
    const f = renderMarkdown(withFaults(readJson(dir('fleet'))));
    expect(f).toContain('### Faults (s)');
    expect(f).toContain('| redis_failover | us-east/redis | 20 | 22 | 30 | 35 |');
  });

  it('every SVG has its axes, its series and its legend', () => {
    const svg = (d: string, id: string) => readFileSync(join(d, `chart-${id}.svg`), 'utf8');
    const fleet = dir('fleet');
    const axes = (s: string) => (s.match(/role-axis/g) ?? []).length;
    const lat = svg(fleet, 'latency');
    expect(axes(lat)).toBeGreaterThanOrEqual(2);
    expect(lat).toContain('simulated time (s)');
    expect(lat).toContain('latency (ms)');
    for (const series of ['end-to-end p50', 'end-to-end p99']) expect(lat).toContain(series);
    expect(lat).toMatch(/class="mark-line role-mark[^"]*"[^>]*>\s*<path[^>]*d="M[\d.]+,[\d.]+L/);
    expect(lat).toContain('warm-up');
    const thr = svg(fleet, 'throughput');
    for (const t of ['arrivals/s', 'completions/s', 'requests/s']) expect(thr).toContain(t);
    expect(svg(fleet, 'errors')).toContain('errors/s');
    const cdf = svg(fleet, 'cdf');
    for (const t of ['gpt-4', 'gpt-3.5-turbo', 'text-embedding-ada-002', 'time to first token', 'end-to-end', 'fraction of requests']) expect(cdf).toContain(t);
    const gpu = svg(fleet, 'gpu');
    for (const t of ['busy fraction', 'mean batch size', 'KV cache use']) expect(gpu).toContain(t);
    expect((gpu.match(/role-mark/g) ?? []).length).toBeGreaterThanOrEqual(3);
    const cost = svg(fleet, 'cost');
    for (const t of ['by plane', 'by component', 'gpu:gpt-4', 'USD per month']) expect(cost).toContain(t);
    expect(svg(fleet, 'stages')).toContain('gpu_decode');
    // A station network has no TTFT: its (empty) series is not in the legend.
    expect(svg(dir('stations'), 'latency')).toContain('end-to-end p99');
    expect(svg(dir('stations'), 'latency')).not.toContain('TTFT');
    expect(lat).toContain('TTFT p99');
    const st = svg(dir('stations'), 'stations');
    expect(st).toContain('api');
    expect(st).toContain('busy fraction of servers');
  });

  it('distributions.csv holds the CDF points the chart draws, from the sketches', () => {
    const cdf = parseCsv(readFileSync(join(dir('fleet'), 'distributions.csv'), 'utf8'), { columns: true, cast: true }) as { model: string; metric: string; quantile: number; latency_ms: number }[];
    const gpt4 = cdf.filter((p) => p.model === 'gpt-4' && p.metric === 'ttft');
    expect(gpt4.length).toBeGreaterThan(100);
    for (let i = 1; i < gpt4.length; i++) expect(gpt4[i].latency_ms).toBeGreaterThanOrEqual(gpt4[i - 1].latency_ms);
    const p99 = gpt4.find((p) => p.quantile === 0.99)!.latency_ms;
    expect(p99 / readJson(dir('fleet')).by_model!['gpt-4'].latency_ms.ttft.p99!).toBeCloseTo(1, 2);
  });
});

describe('chart specs', () => {
  const compiles = (input: ReportInput) => {
    for (const c of buildCharts(input)) {
      const warnings: string[] = [];
      const logger = {
        level: () => logger,
        info: () => logger,
        debug: () => logger,
        warn: (...a: unknown[]) => (warnings.push(a.map(String).join(' ')), logger),
        error: (...a: unknown[]) => (warnings.push(`error: ${a.map(String).join(' ')}`), logger),
      };
      const vg = compile(c.spec, { logger: logger as never }).spec;
      expect(vg, c.id).toHaveProperty('marks');
      expect(warnings, `${c.id}: Vega-Lite warnings`).toEqual([]);
    }
  };

  it('compile without warnings, with fault bands and what-if variants too', () => {
    const fleet = readJson(dir('fleet'));
    const ts = rows(dir('fleet'));
    compiles({ summary: fleet, timeseries: ts });
    const faulted = withFaults(fleet);
    const better = structuredClone(faulted);
    better.latency_ms.e2e.p99 = fleet.latency_ms.e2e.p99! / 2;
    const input: ReportInput = { summary: faulted, timeseries: ts, variants: [{ name: 'baseline', summary: faulted, timeseries: ts }, { name: 'more GPUs', summary: better, timeseries: ts }] };
    compiles(input);
    const ids = buildCharts(input).map((c) => c.id);
    expect(ids).toEqual(['latency', 'throughput', 'power', 'errors', 'variants', 'variants-latency', 'stages', 'cdf', 'gpu', 'cost', 'stations']);
    const latency = JSON.stringify(buildCharts(input)[0].spec);
    expect(latency).toContain('redis_failover us-east/redis');
    expect(latency).toContain('"detected"');
    compiles({ summary: readJson(dir('stations')), timeseries: rows(dir('stations')) });
    compiles({ summary: fleetReps });
  });

  it('leave out what has no data: no time series, no fleet, one variant', () => {
    const st = readJson(dir('stations'));
    expect(buildCharts({ summary: st }).map((c) => c.id)).toEqual(['cdf', 'stations']);
    expect(buildCharts({ summary: st, variants: [{ name: 'only', summary: st }] }).map((c) => c.id)).toEqual(['cdf', 'stations']);
    const empty = { ...st, stations: {}, latency_ms: { e2e: { p50: null, p90: null, p99: null, p999: null, mean: null, max: null } } } as Summary;
    expect(buildCharts({ summary: empty })).toEqual([]);
  });
});
