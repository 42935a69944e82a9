import type { TopLevelSpec } from 'vega-lite';
import type { Summary } from '../../results/summary.ts';
import { entries, faultsOf, field, type FaultWindow, type ReportInput } from './input.ts';
import type { CdfSeries } from '../../results/distributions.ts';
import { maxOf, minOf } from '../../util/extremes.ts';

/** One chart of the report: its container id, title, one-line description and Vega-Lite spec. */
/** The id of every chart a report draws (its file chart-<id>.svg; output-layout.ts holds an earlier report to these). */
export const REPORT_CHART_IDS = ['latency', 'throughput', 'errors', 'prefix-cache', 'stages', 'stations', 'cdf', 'gpu', 'cost', 'variants', 'variants-latency', 'replicas', 'power'] as const;
export type ReportChartId = (typeof REPORT_CHART_IDS)[number];

export interface ChartDef {
  id: ReportChartId;
  title: string;
  description: string;
  spec: TopLevelSpec;
}

type Spec = Record<string, unknown>;

/** The `$schema` of every Vega-Lite spec fleetsim writes (a report's, a sweep's or a plan's charts/<id>.vl.json): output-layout.ts tells its own vl.json by it. */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const WIDTH = 640;
const HEIGHT = 220;
const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#eeca3b'];

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#e8e8e8' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'right', labelLimit: 260 },
  title: { fontSize: 13, anchor: 'start' },
  range: { category: PALETTE },
};

function top(spec: Spec): TopLevelSpec {
  return { $schema: VEGA_LITE_SCHEMA, config: CONFIG, background: 'white', padding: 8, ...spec } as unknown as TopLevelSpec;
}

/** Latency columns of the time series: `e2e_p99_ms` -> { block: "e2e", q: "p99" }. */
const LATENCY_COLUMN = /^([a-z0-9]+)_(p\d+)_ms$/;
/** Error-like count columns drawn when the time series has them, with their legend labels. */
const ERROR_COLUMNS: [string, string][] = [
  ['rejections', 'rejected (incl. 429)'],
  ['rejected', 'rejected'],
  ['failed', 'failed'],
  ['timed_out', 'timed out'],
  ['rate_limited', 'rate-limited (429)'],
  ['retries', 'client retries'],
];

function columnsOf(rows: readonly object[]): string[] {
  const cols = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) cols.add(k);
  return [...cols];
}

function sampleNote(s: Summary): string {
  return s.fleet?.sampled ? ` (the simulated ${+(s.fleet.scale * 100).toPrecision(3)}% sample)` : '';
}

/** The x channel of every chart over simulated time (the same scale in every layer). */
function timeX(s: Summary, fieldName: string) {
  return { field: fieldName, type: 'quantitative' as const, title: 'simulated time (s)', scale: { domain: [0, s.duration_s], nice: false } };
}

/** Layers shared by every chart over simulated time: the warm-up and the fault windows, behind the series. */
function timeBackground(s: Summary): Spec[] {
  const layers: Spec[] = [];
  const x = timeX(s, 'start');
  if (s.warmup_s > 0) {
    layers.push({
      data: { values: [{ start: 0, end: s.warmup_s, label: 'warm-up' }] },
      layer: [
        { mark: { type: 'rect', color: '#f0f0f0' }, encoding: { x, x2: { field: 'end' } } },
        { mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, color: '#888', fontSize: 10 }, encoding: { x, y: { value: 0 }, text: { field: 'label' } } },
      ],
    });
  }
  const faults = faultsOf(s);
  if (faults.length > 0) {
    const endOf = (f: FaultWindow) => (typeof f.end_s === 'number' ? f.end_s : s.duration_s);
    const rows = faults.map((f: FaultWindow, i) => ({
      start: f.start_s,
      end: endOf(f),
      label: `${f.kind} ${f.target}`,
      ypx: 16 + 12 * (i % 8), // below the warm-up label
    }));
    // After the fault ends, until the system has recovered (queues drained): a lighter band.
    const recovery = faults
      .filter((f) => typeof f.recovered_s === 'number' && f.recovered_s > endOf(f))
      .map((f) => ({ start: endOf(f), end: f.recovered_s as number, label: `${f.kind} ${f.target}: recovering` }));
    if (recovery.length > 0) {
      layers.push({
        data: { values: recovery },
        mark: { type: 'rect', color: '#e45756', opacity: 0.06 },
        encoding: { x, x2: { field: 'end' }, tooltip: [{ field: 'label', title: 'fault' }, { field: 'start', title: 'ended s' }, { field: 'end', title: 'recovered s' }] },
      });
    }
    const marks = faults.flatMap((f) => [
      ...(typeof f.detected_s === 'number' ? [{ t: f.detected_s, what: `detected: ${f.kind} ${f.target}`, kind: 'detected' }] : []),
      ...(typeof f.mitigated_s === 'number' ? [{ t: f.mitigated_s, what: `mitigated: ${f.kind} ${f.target}`, kind: 'mitigated' }] : []),
    ]);
    layers.push({
      data: { values: rows },
      layer: [
        {
          mark: { type: 'rect', color: '#e45756', opacity: 0.14 },
          encoding: { x, x2: { field: 'end' }, tooltip: [{ field: 'label', title: 'fault' }, { field: 'start', title: 'start s' }, { field: 'end', title: 'end s' }] },
        },
        {
          mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, color: '#b22222', fontSize: 10 },
          encoding: { x, y: { field: 'ypx', type: 'quantitative', scale: null }, text: { field: 'label' } },
        },
      ],
    });
    if (marks.length > 0) {
      layers.push({
        data: { values: marks },
        mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.2 },
        encoding: {
          x: timeX(s, 't'),
          color: { value: '#b22222' },
          strokeDash: { field: 'kind', type: 'nominal', scale: { domain: ['detected', 'mitigated'], range: [[4, 3], [1, 2]] }, legend: { title: 'fault' } },
          tooltip: [{ field: 'what' }, { field: 't', title: 't (s)' }],
        },
      });
    }
  }
  return layers;
}

/** A line chart over simulated time of long-format rows { t, series, value }. */
function timeChart(s: Summary, values: { t: number; series: string; value: number | null }[], yTitle: string, title: string, yFormat?: string): TopLevelSpec {
  const background = timeBackground(s);
  // An all-zero series (no errors at all) would give the y scale an empty domain.
  const allZero = !values.some((v) => v.value !== null && v.value !== 0);
  const line = {
    data: { values },
    mark: { type: 'line', point: new Set(values.map((v) => v.t)).size <= 60 ? { size: 18 } : false, strokeWidth: 1.6 },
    encoding: {
      x: timeX(s, 't'),
      y: { field: 'value', type: 'quantitative', title: yTitle, ...(allZero ? { scale: { domain: [0, 1] } } : {}), ...(yFormat ? { axis: { format: yFormat } } : {}) },
      color: { field: 'series', type: 'nominal', title: null, sort: null },
      tooltip: [{ field: 'series' }, { field: 't', title: 't (s)' }, { field: 'value', title: yTitle, format: ',.4~g' }],
    },
  };
  // Background layers first (drawn behind the series); all layers share the x and y scales.
  return top({ title, width: WIDTH, height: HEIGHT, layer: [...background, line], resolve: { scale: { color: 'independent' } } });
}

function latencyOverTime(input: ReportInput): ChartDef | undefined {
  const rows = input.timeseries ?? [];
  // Columns with no value at all (TTFT in a station network) are left out of the legend too.
  const cols = columnsOf(rows).filter((c) => LATENCY_COLUMN.test(c) && rows.some((r) => field(r, c) !== null));
  if (rows.length === 0 || cols.length === 0) return undefined;
  const s = input.summary;
  const half = s.window_s / 2;
  const values = rows.flatMap((r) =>
    cols.map((c) => {
      const [, block, q] = LATENCY_COLUMN.exec(c)!;
      return { t: field(r, 't_start_s')! + half, series: `${block === 'e2e' ? 'end-to-end' : block.toUpperCase()} ${q === 'p999' ? 'p99.9' : q}`, value: field(r, c) };
    }),
  );
  if (!values.some((v) => v.value !== null)) return undefined;
  return {
    id: 'latency',
    title: 'Latency percentiles over time',
    description: `Per window of ${s.window_s} s (requests that completed in the window).${faultsOf(s).length > 0 ? ' Red bands: fault windows.' : ''}`,
    spec: timeChart(s, values, 'latency (ms)', 'Latency percentiles over time'),
  };
}

function throughputOverTime(input: ReportInput): ChartDef | undefined {
  const rows = input.timeseries ?? [];
  if (rows.length === 0) return undefined;
  const s = input.summary;
  const half = s.window_s / 2;
  // Replays name the completions that reached a waiting client `goodput`.
  const done = columnsOf(rows).includes('completions') ? 'completions' : 'goodput';
  const series: [string, string][] = [
    ['arrivals', 'arrivals/s'],
    [done, `${done}/s`],
  ];
  const values = rows.flatMap((r) =>
    series.map(([c, label]) => {
      const v = field(r, c);
      return { t: field(r, 't_start_s')! + half, series: label, value: v === null ? null : v / s.window_s };
    }),
  );
  return {
    id: 'throughput',
    title: 'Throughput over time',
    description: `Requests per second, per window of ${s.window_s} s${sampleNote(s)}.`,
    spec: timeChart(s, values, 'requests/s', 'Throughput over time'),
  };
}

function errorsOverTime(input: ReportInput): ChartDef | undefined {
  const rows = input.timeseries ?? [];
  if (rows.length === 0) return undefined;
  const s = input.summary;
  const half = s.window_s / 2;
  const present = columnsOf(rows);
  const extra = ERROR_COLUMNS.filter(([c]) => present.includes(c));
  // Once rejections are counted apart, `errors` holds the failed and timed-out requests only.
  const series: [string, string][] = [['errors', present.includes('rejections') ? 'failed or timed out' : 'errors'], ...extra];
  const values = rows.flatMap((r) =>
    series.map(([c, label]) => {
      const v = field(r, c);
      return { t: field(r, 't_start_s')! + half, series: label, value: v === null ? null : v / s.window_s };
    }),
  );
  return {
    id: 'errors',
    title: 'Errors and rejections over time',
    description: `Requests per second that ended in an error (failed, rejected or timed out)${extra.some(([c]) => c === 'retries') ? ', and client retries' : ''}, per window of ${s.window_s} s${sampleNote(s)}.`,
    spec: timeChart(s, values, 'errors/s', 'Errors and rejections over time'),
  };
}

/** Per model, its prefix-cache hit rate in the row: a WindowRow's `prefix_hit_rate` record, or timeseries.csv's `prefix_hit_rate:<model>` columns. */
function prefixRates(row: object): [string, number | null][] {
  const nested = (row as { prefix_hit_rate?: Record<string, number | null> }).prefix_hit_rate;
  if (nested && typeof nested === 'object') return Object.entries(nested);
  return Object.keys(row).filter((k) => k.startsWith('prefix_hit_rate:')).map((k) => [k.slice('prefix_hit_rate:'.length), field(row, k)]);
}

function prefixHitRateOverTime(input: ReportInput): ChartDef | undefined {
  const rows = input.timeseries ?? [];
  if (rows.length === 0 || prefixRates(rows[0]).length === 0) return undefined;
  const s = input.summary;
  const half = s.window_s / 2;
  const values = rows.flatMap((r) => prefixRates(r).map(([model, value]) => ({ t: field(r, 't_start_s')! + half, series: model, value })));
  return {
    id: 'prefix-cache',
    title: 'Prefix-cache hit rate over time',
    description: `Per model with prefix caching: cached prompt tokens / prompt tokens brought into the KV cache, per window of ${s.window_s} s (cold caches show as dips).`,
    spec: timeChart(s, values, 'hit rate', 'Prefix-cache hit rate over time', '.0%'),
  };
}

function stageBreakdown(input: ReportInput): ChartDef | undefined {
  const stages = entries(input.summary.by_stage);
  if (stages.length === 0) return undefined;
  const rows = stages.map(([stage, st], order) => ({ stage, order, p50: st.latency_ms.p50, mean: st.latency_ms.mean, p99: st.latency_ms.p99 }));
  // A log axis cannot show 0 (a stage that most requests pass without waiting): drawn at FLOOR_MS.
  const clip = (x: number | null) => (x === null ? null : Math.max(x, FLOOR_MS));
  const ranges = rows.filter((r) => r.p50 !== null && r.p99 !== null).map((r) => ({ stage: r.stage, lo: clip(r.p50), hi: clip(r.p99) }));
  const points = rows.flatMap((r) => (['p50', 'mean', 'p99'] as const).filter((stat) => r[stat] !== null).map((stat) => ({ stage: r.stage, stat, ms: r[stat], x: clip(r[stat]) })));
  const stageOrder = rows.map((r) => r.stage);
  const spec = top({
    title: 'Where a request spends its time',
    vconcat: [
      {
        title: { text: 'mean time per stage (stacked: the mean request)', fontSize: 11, fontWeight: 'normal' },
        width: WIDTH,
        height: 36,
        data: { values: rows.filter((r) => r.mean !== null) },
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'mean', type: 'quantitative', aggregate: 'sum', stack: 'zero', title: 'ms' },
          color: { field: 'stage', type: 'nominal', sort: stageOrder, title: 'stage', scale: { scheme: 'tableau20' } },
          order: { field: 'order', type: 'quantitative' },
          tooltip: [{ field: 'stage' }, { field: 'mean', title: 'mean ms', format: ',.4~g' }],
        },
      },
      {
        title: { text: `per stage: p50 to p99 (line), p50, mean, p99 (points); log scale, 0 drawn at ${FLOOR_MS} ms`, fontSize: 11, fontWeight: 'normal' },
        width: WIDTH,
        height: 18 * rows.length,
        layer: [
          {
            data: { values: ranges },
            mark: { type: 'rule', color: '#999' },
            encoding: {
              y: { field: 'stage', type: 'nominal', sort: stageOrder, title: null },
              x: { field: 'lo', type: 'quantitative', scale: { type: 'log' }, title: 'ms (log scale)', axis: { format: ',~g', values: decades(points.map((p) => p.x!)) } },
              x2: { field: 'hi' },
            },
          },
          {
            data: { values: points },
            mark: { type: 'point', filled: true, size: 45 },
            encoding: {
              y: { field: 'stage', type: 'nominal', sort: stageOrder, title: null },
              x: { field: 'x', type: 'quantitative' },
              shape: { field: 'stat', type: 'nominal', title: 'statistic', scale: { domain: ['p50', 'mean', 'p99'], range: ['circle', 'diamond', 'triangle-right'] } },
              color: { field: 'stat', type: 'nominal', title: 'statistic', scale: { domain: ['p50', 'mean', 'p99'], range: ['#4c78a8', '#54a24b', '#e45756'] } },
              tooltip: [{ field: 'stage' }, { field: 'stat' }, { field: 'ms', format: ',.4~g' }],
            },
          },
        ],
      },
    ],
    resolve: { scale: { color: 'independent', shape: 'independent' }, legend: { color: 'independent' } },
  });
  return { id: 'stages', title: 'Per-stage latency breakdown', description: 'Time spent in each stage of the request path (by_stage).', spec };
}

function stationUtilisation(input: ReportInput): ChartDef | undefined {
  const st = entries(input.summary.stations);
  if (st.length === 0) return undefined;
  const rows = st.map(([station, x]) => ({ station, utilization: x.utilization, servers: x.servers, wait_p99_ms: x.wait_ms.p99, queue_len_mean: x.queue_len_mean }));
  const spec = top({
    title: 'Utilisation per station',
    width: WIDTH,
    height: Math.max(40, 16 * rows.length),
    data: { values: rows },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: {
          y: { field: 'station', type: 'nominal', sort: null, title: null },
          x: { field: 'utilization', type: 'quantitative', title: 'busy fraction of servers (time-weighted)', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
          tooltip: [
            { field: 'station' },
            { field: 'servers' },
            { field: 'utilization', format: '.1%' },
            { field: 'wait_p99_ms', title: 'wait p99 ms', format: ',.4~g' },
            { field: 'queue_len_mean', title: 'mean queue', format: ',.4~g' },
          ],
        },
      },
      { mark: { type: 'rule', color: '#e45756', strokeDash: [3, 3] }, encoding: { x: { datum: 0.8 } } },
    ],
  });
  return { id: 'stations', title: 'Utilisation per station', description: 'Time-weighted busy fraction of each station or tier (dashed: 80%).', spec };
}

/** Powers of ten covering [lo, hi]: the labels of a log axis (the default labels crowd 10 20 100 200). */
function decades(values: number[]): number[] {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  if (pos.length === 0) return [1];
  const lo = Math.floor(Math.log10(minOf(pos)));
  const hi = Math.ceil(Math.log10(maxOf(pos)));
  return Array.from({ length: hi - lo + 1 }, (_, i) => Number((10 ** (lo + i)).toPrecision(1)));
}

/** Where the stage chart's log axis draws a latency of 0. */
const FLOOR_MS = 0.01;

const Q_POINTS = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
  ['p999', 0.999],
  ['max', 1],
] as const;

/** CDF points from a summary's quantiles (a coarse stand-in when no sketch data was given). */
export function cdfFromSummary(s: Summary): CdfSeries[] {
  const out: CdfSeries[] = [];
  const add = (model: string, metric: 'ttft' | 'e2e', l: Summary['latency_ms']['e2e'] | undefined) => {
    if (!l) return;
    const points = Q_POINTS.filter(([k]) => typeof l[k] === 'number').map(([k, q]) => ({ ms: l[k]!, q }));
    if (points.length > 0) out.push({ model, metric, points });
  };
  const models = entries(s.by_model);
  if (models.length > 0) {
    for (const [name, m] of models) {
      add(name, 'ttft', m.latency_ms.ttft);
      add(name, 'e2e', m.latency_ms.e2e);
    }
  } else add('all requests', 'e2e', s.latency_ms.e2e);
  return out;
}

function cdfs(input: ReportInput): ChartDef | undefined {
  const series = input.distributions && input.distributions.length > 0 ? input.distributions : cdfFromSummary(input.summary);
  const fromSketch = !!(input.distributions && input.distributions.length > 0);
  const values = series.flatMap((c) => c.points.filter((p) => p.ms > 0).map((p) => ({ model: c.model, metric: c.metric === 'ttft' ? 'time to first token' : 'end-to-end', ms: p.ms, q: p.q })));
  if (values.length === 0) return undefined;
  const metrics = [...new Set(values.map((v) => v.metric))];
  const spec = top({
    title: 'Latency distributions (CDF)',
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['time to first token', 'end-to-end'], header: { labelFontSize: 12 } } },
    spec: {
      width: metrics.length > 1 ? 300 : WIDTH,
      height: HEIGHT,
      mark: { type: 'line', interpolate: 'step-after', point: !fromSketch, strokeWidth: 1.6 },
      encoding: {
        x: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log scale)', axis: { format: ',~g', values: decades(values.map((v) => v.ms)) } },
        y: { field: 'q', type: 'quantitative', scale: { domain: [0, 1] }, title: 'fraction of requests', axis: { format: '.0%' } },
        color: { field: 'model', type: 'nominal', title: null, sort: null },
        order: { field: 'q', type: 'quantitative' },
        tooltip: [{ field: 'model' }, { field: 'q', title: 'quantile', format: '.3~f' }, { field: 'ms', format: ',.4~g' }],
      },
    },
    resolve: { scale: { x: 'independent' } },
  });
  return {
    id: 'cdf',
    title: 'TTFT and end-to-end latency CDFs',
    description: fromSketch ? 'From the latency sketches (0.5% relative accuracy), per model.' : 'Step plot through the summary quantiles (p50, p90, p99, p99.9, max) per model.',
    spec,
  };
}

function gpuClusters(input: ReportInput): ChartDef | undefined {
  const g = entries(input.summary.gpu);
  if (g.length === 0) return undefined;
  const rows = g.map(([cluster, x]) => ({ cluster, busy: x.busy_fraction, kv: x.kv_utilization, batch: x.batch_size_mean, replicas: x.replicas, preemptions: x.preemptions }));
  const bar = (fieldName: string, title: string, unit: boolean, color: string, labels: boolean) => ({
    width: 170,
    height: Math.max(40, 22 * rows.length),
    mark: { type: 'bar', color },
    encoding: {
      y: { field: 'cluster', type: 'nominal', sort: null, title: null, ...(labels ? {} : { axis: { labels: false, ticks: false } }) },
      x: { field: fieldName, type: 'quantitative', title, ...(unit ? { scale: { domain: [0, 1] }, axis: { format: '.0%' } } : {}) },
      tooltip: [{ field: 'cluster' }, { field: fieldName, title, format: unit ? '.1%' : ',.3~f' }, { field: 'replicas', title: 'replicas (simulated)' }, { field: 'preemptions' }],
    },
  });
  const spec = top({
    title: 'GPU clusters',
    data: { values: rows },
    spacing: 12,
    hconcat: [bar('busy', 'busy fraction', true, '#4c78a8', true), bar('batch', 'mean batch size', false, '#f58518', false), bar('kv', 'KV cache use', true, '#54a24b', false)],
  });
  return { id: 'gpu', title: 'GPU busy fraction, batch size and KV use', description: 'Per model cluster, over the measured period.', spec };
}

function cost(input: ReportInput): ChartDef | undefined {
  const c = input.summary.cost;
  if (!c) return undefined;
  const planes = entries(c.by_plane).map(([name, usd]) => ({ name, usd }));
  const comps = entries(c.by_component).map(([name, usd]) => ({ name, usd }));
  if (planes.length === 0 && comps.length === 0) return undefined;
  const bar = (title: string, values: { name: string; usd: number }[], color: string) => ({
    title: { text: title, fontSize: 11, fontWeight: 'normal' },
    width: WIDTH,
    height: Math.max(40, 16 * values.length),
    data: { values },
    mark: { type: 'bar', color },
    encoding: {
      y: { field: 'name', type: 'nominal', sort: '-x', title: null },
      x: { field: 'usd', type: 'quantitative', title: 'USD per month', axis: { format: '$.3~s' } },
      tooltip: [{ field: 'name' }, { field: 'usd', title: 'USD/month', format: '$,.0f' }],
    },
  });
  const ref = c.reference_monthly_usd?.total;
  const subtitle = `total $${(c.monthly_usd / 1e6).toFixed(1)}M/month${typeof ref === 'number' ? ` (reference $${(ref / 1e6).toFixed(1)}M)` : ''}; $${c.usd_per_million_tokens.toPrecision(3)} per million tokens at the simulated load`;
  const spec = top({
    title: { text: 'Monthly cost (full fleet)', subtitle },
    vconcat: [...(planes.length > 0 ? [bar('by plane', planes, '#4c78a8')] : []), ...(comps.length > 0 ? [bar('by component', comps, '#72b7b2')] : [])],
  });
  return { id: 'cost', title: 'Monthly cost by plane and component', description: 'On-demand list prices (AWS, or the cloud or assumed price the catalog names for a GPU AWS does not sell) x 730 h, plus storage, CDN, load balancers and flat lines.', spec };
}

/** The metrics compared across variants (baseline and what-ifs): path, label. */
const VARIANT_METRICS: [string, string][] = [
  ['latency_ms.e2e.p99', 'e2e p99 (ms)'],
  ['latency_ms.ttft.p99', 'TTFT p99 (ms)'],
  ['requests.error_rate', 'error rate'],
  ['requests.throughput_per_s', 'throughput (req/s)'],
  ['cost.monthly_usd', 'cost (USD/month)'],
];

function pick(s: Summary, path: string): { value: number; lo?: number; hi?: number } | undefined {
  const keys = path.split('.');
  let node: unknown = s;
  let parent: Record<string, unknown> | undefined;
  for (const k of keys) {
    if (node === null || typeof node !== 'object') return undefined;
    parent = node as Record<string, unknown>;
    node = parent[k];
  }
  if (typeof node !== 'number') return undefined;
  const ci = (parent?.ci95 as Record<string, [number, number]> | undefined)?.[keys[keys.length - 1]];
  return { value: node, ...(ci ? { lo: ci[0], hi: ci[1] } : {}) };
}

function variantsChart(input: ReportInput): ChartDef | undefined {
  const vs = input.variants ?? [];
  if (vs.length < 2) return undefined;
  const names = vs.map((v) => v.name);
  const rows = VARIANT_METRICS.flatMap(([path, label]) => {
    const got = vs.map((v) => ({ v, x: pick(v.summary, path) }));
    if (got.some((g) => !g.x)) return [];
    return got.map(({ v, x }) => ({ variant: v.name, metric: label, value: x!.value, lo: x!.lo ?? x!.value, hi: x!.hi ?? x!.value }));
  });
  if (rows.length === 0) return undefined;
  const spec = top({
    title: names[0] === 'baseline' ? 'Baseline against each what-if' : `Baseline (${names[0]}) against each what-if`,
    data: { values: rows },
    facet: { row: { field: 'metric', type: 'nominal', title: null, sort: VARIANT_METRICS.map(([, l]) => l), header: { labelAngle: 0, labelAlign: 'left', labelFontSize: 11 } } },
    spec: {
      width: 460,
      height: 14 * vs.length + 8,
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            y: { field: 'variant', type: 'nominal', sort: names, title: null },
            x: { field: 'value', type: 'quantitative', title: null, axis: { labelExpr: "abs(datum.value) < 1 ? format(datum.value, '.2~g') : format(datum.value, ',.3~s')" } },
            color: { field: 'variant', type: 'nominal', sort: names, title: null },
            tooltip: [{ field: 'variant' }, { field: 'metric' }, { field: 'value', format: ',.4~g' }, { field: 'lo', title: 'CI low', format: ',.4~g' }, { field: 'hi', title: 'CI high', format: ',.4~g' }],
          },
        },
        { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'variant', type: 'nominal', sort: names }, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  });
  return { id: 'variants', title: 'Baseline against each what-if', description: 'Headline figures per variant (black lines: 95% confidence intervals over replications).', spec };
}

function variantsOverTime(input: ReportInput): ChartDef | undefined {
  const vs = (input.variants ?? []).filter((v) => v.timeseries && v.timeseries.length > 0);
  if (vs.length < 2) return undefined;
  const s = input.summary;
  const values = vs.flatMap((v) => v.timeseries!.map((r) => ({ t: field(r, 't_start_s')! + v.summary.window_s / 2, series: v.name, value: field(r, 'e2e_p99_ms') })));
  if (!values.some((v) => v.value !== null)) return undefined;
  return {
    id: 'variants-latency',
    title: 'End-to-end p99 over time: baseline and what-ifs',
    description: 'The same arrivals (common random numbers) under each variant.',
    spec: timeChart(s, values, 'e2e p99 (ms)', 'End-to-end p99 over time: baseline and what-ifs'),
  };
}

/** Autoscaling: instances (or replicas) of every controlled component over time, next to the load. */
function replicasOverTime(input: ReportInput): ChartDef | undefined {
  const c = input.summary.control;
  if (!c?.series || c.series.t_s.length === 0) return undefined;
  const s = input.summary;
  const values = Object.entries(c.series.instances).flatMap(([component, counts]) =>
    counts.map((n, i) => ({ t: c.series!.t_s[i], series: component, value: n })),
  );
  return {
    id: 'replicas',
    title: 'Replicas and instances over time',
    description: `Serving instances of each autoscaled component (${c.events_total} scaling events, ${c.cold_starts} cold starts; see control.events in summary.json).`,
    spec: timeChart(s, values, 'instances', 'Replicas and instances over time'),
  };
}

/** GPU and facility power of the full fleet over time (summary.energy.series). */
function powerOverTime(input: ReportInput): ChartDef | undefined {
  const s = input.summary;
  const p = s.energy?.series;
  if (!p || p.t_s.length === 0) return undefined;
  const half = s.window_s / 2;
  const values = p.t_s.flatMap((t, i) => [
    { t: t - half, series: 'GPUs', value: p.gpu_power_w[i] / 1000 },
    { t: t - half, series: 'facility (GPUs, nodes, PUE)', value: p.facility_power_w[i] / 1000 },
  ]);
  return {
    id: 'power',
    title: 'Power over time',
    description: `Full-fleet mean draw per window of ${s.window_s} s, kW, from what each GPU did (docs/energy.md); ${fmtKwh(s.energy!.monthly_kwh)} a month at the run's mean.`,
    spec: timeChart(s, values, 'power (kW)', 'Power over time'),
  };
}

const fmtKwh = (kwh: number) => (kwh >= 1e6 ? `${(kwh / 1e6).toPrecision(3)} GWh` : kwh >= 1e3 ? `${(kwh / 1e3).toPrecision(3)} MWh` : `${kwh.toPrecision(3)} kWh`);

/** Every chart the input has data for, in report order. */
export function buildCharts(input: ReportInput): ChartDef[] {
  return [
    latencyOverTime(input),
    throughputOverTime(input),
    replicasOverTime(input),
    powerOverTime(input),
    errorsOverTime(input),
    prefixHitRateOverTime(input),
    variantsChart(input),
    variantsOverTime(input),
    stageBreakdown(input),
    cdfs(input),
    gpuClusters(input),
    cost(input),
    stationUtilisation(input),
  ].filter((c): c is ChartDef => c !== undefined);
}
