import type { TopLevelSpec } from 'vega-lite';
import { renderSvg } from '../report/charts/render.ts';
import { VEGA_LITE_SCHEMA } from '../report/charts/specs.ts';
import { slug, uniqueChartIds } from '../report/output-layout.ts';
import { describePoint, type Knob } from './grid.ts';
import type { PointResult } from './sweep.ts';
import { maxOf, minOf } from '../util/extremes.ts';

/**
 * Charts of a sweep and of a plan, as Vega-Lite specs, rendered to SVG in Node: p99 against
 * each numeric knob, and cost against p99 with the Pareto front (no point both cheaper and
 * faster) marked.
 */

export interface ChartFile {
  /** File stem under charts/: charts/<id>.svg and charts/<id>.vl.json. */
  id: string;
  spec: TopLevelSpec;
}

const CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#e8e8e8' },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 360 },
  title: { fontSize: 13, anchor: 'start' },
};

const top = (spec: Record<string, unknown>): TopLevelSpec =>
  ({ $schema: VEGA_LITE_SCHEMA, config: CONFIG, background: 'white', padding: 8, width: 560, height: 300, ...spec }) as unknown as TopLevelSpec;

// the chart ids' stem: output-layout.ts derives an earlier sweep's chart files from it
export { slug };

/** Log scale when the values span more than two orders of magnitude (an overloaded point's p99 dwarfs the rest). */
function yScale(values: readonly number[]): Record<string, unknown> {
  const pos = values.filter((v) => v > 0);
  if (pos.length < 2) return { zero: false };
  const lo = minOf(pos);
  const hi = maxOf(pos);
  return hi / lo > 100 && pos.length === values.length ? { type: 'log' } : { zero: false };
}

interface Fig {
  value: number | null;
  lo?: number;
  hi?: number;
}

function fig(s: unknown, block: string, q: string): Fig | undefined {
  const l = (s as { latency_ms?: Record<string, Record<string, unknown>> }).latency_ms?.[block];
  if (!l) return undefined;
  const v = l[q];
  const ci = (l.ci95 as Record<string, [number, number]> | undefined)?.[q];
  return { value: typeof v === 'number' ? v : null, ...(ci ? { lo: ci[0], hi: ci[1] } : {}) };
}

/** p99 (end-to-end, and TTFT when present) against one numeric knob; one line per combination of the other knobs. */
export function p99VsKnob(knobs: readonly Knob[], points: readonly PointResult[], j: number, id: string): ChartFile {
  const knob = knobs[j];
  const rows: Record<string, unknown>[] = [];
  for (const p of points) {
    const others = knobs.length > 1 ? describePoint(knobs.filter((_, m) => m !== j), p.values.filter((_, m) => m !== j)) : 'all points';
    for (const [block, label] of [['e2e', 'end-to-end p99'], ['ttft', 'TTFT p99']] as const) {
      const f = fig(p.summary, block, 'p99');
      if (!f || f.value === null) continue;
      // Latency is never negative: a wide interval is drawn from 0.
      rows.push({ x: p.values[j], value: f.value, lo: f.lo === undefined ? null : Math.max(0, f.lo), hi: f.hi ?? null, metric: label, series: others, point: p.index });
    }
  }
  const hasCi = rows.some((r) => r.lo !== null);
  const y = { field: 'value', type: 'quantitative', title: 'p99 latency (ms)', scale: yScale(rows.map((r) => r.value as number)) };
  const color = { field: 'series', type: 'nominal', title: knobs.length > 1 ? 'other knobs' : null, legend: knobs.length > 1 ? {} : null };
  const integers = knob.values.every((v) => Number.isInteger(v));
  const x = { field: 'x', type: 'quantitative', title: knob.path, scale: { zero: false }, ...(integers ? { axis: { tickMinStep: 1, format: 'd' } } : {}) };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'line', point: true, strokeWidth: 1.6 },
      encoding: {
        x,
        y,
        color,
        strokeDash: { field: 'metric', type: 'nominal', title: null, legend: { symbolType: 'stroke', symbolStrokeColor: '#555' } },
        tooltip: [{ field: 'point' }, { field: 'series' }, { field: 'metric' }, { field: 'x', title: knob.path }, { field: 'value', title: 'p99 ms', format: ',.4~g' }],
      },
    },
  ];
  if (hasCi) layers.push({ mark: { type: 'rule', strokeWidth: 1 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color } });
  return {
    id,
    spec: top({
      title: `p99 latency against ${knob.path}${hasCi ? ' (bars: 95% CI)' : ''}`,
      data: { values: rows },
      layer: layers,
    }),
  };
}

/** Indices of the rows on the Pareto front of (x, y), both minimised. */
export function paretoFront(rows: readonly { x: number; y: number; eligible?: boolean }[]): Set<number> {
  const front = new Set<number>();
  const ok = (r: { eligible?: boolean }) => r.eligible !== false;
  rows.forEach((a, i) => {
    if (!ok(a)) return;
    const dominated = rows.some((b, m) => m !== i && ok(b) && b.x <= a.x && b.y <= a.y && (b.x < a.x || b.y < a.y));
    if (!dominated) front.add(i);
  });
  return front;
}

export interface ParetoRow {
  x: number;
  y: number;
  label: string;
  /** Colour group (e.g. "meets SLOs", "rejected"); default: front / dominated. */
  group?: string;
  /** False: drawn, but not a candidate for the front (a configuration that fails the SLOs). */
  eligible?: boolean;
}

/** y (cost) against x (p99), the Pareto front joined by a line and drawn larger. */
export function paretoChart(id: string, title: string, xTitle: string, yTitle: string, input: readonly ParetoRow[]): ChartFile {
  const front = paretoFront(input);
  const grouped = input.some((r) => r.group !== undefined);
  const rows = input.map((r, i) => ({ ...r, front: front.has(i) ? 'Pareto front' : 'dominated', group: r.group ?? '' }));
  const frontRows = rows.filter((r) => r.front === 'Pareto front').sort((a, b) => a.x - b.x);
  const x = { field: 'x', type: 'quantitative', title: xTitle, scale: yScale(rows.map((r) => r.x)) };
  const y = { field: 'y', type: 'quantitative', title: yTitle, scale: { zero: false } };
  return {
    id,
    spec: top({
      title,
      layer: [
        { data: { values: frontRows }, mark: { type: 'line', color: '#999', strokeDash: [4, 3] }, encoding: { x, y, order: { field: 'x', type: 'quantitative' } } },
        {
          data: { values: rows },
          mark: { type: 'point', filled: true },
          encoding: {
            x,
            y,
            // Without groups, colour and shape share the field and so one legend.
            color: { field: grouped ? 'group' : 'front', type: 'nominal', title: null },
            shape: { field: 'front', type: 'nominal', title: null, scale: { domain: ['Pareto front', 'dominated'], range: ['diamond', 'circle'] } },
            size: { condition: { test: "datum.front === 'Pareto front'", value: 110 }, value: 40 },
            tooltip: [{ field: 'label', title: 'configuration' }, { field: 'x', title: xTitle, format: ',.4~g' }, { field: 'y', title: yTitle, format: ',.4~g' }],
          },
        },
      ],
    }),
  };
}

/** Cost (monthly USD; for station networks without a bill, the total servers) against end-to-end p99. */
export function costVsP99(knobs: readonly Knob[], points: readonly PointResult[]): ChartFile | undefined {
  const hasCost = points.some((p) => typeof p.summary.cost?.monthly_usd === 'number');
  const rows: ParetoRow[] = [];
  for (const p of points) {
    const p99 = p.summary.latency_ms.e2e.p99;
    const cost = hasCost ? p.summary.cost?.monthly_usd : Object.values(p.summary.stations ?? {}).reduce((a, s) => a + s.servers, 0);
    if (typeof p99 !== 'number' || typeof cost !== 'number') continue;
    rows.push({ x: p99, y: cost, label: knobs.length > 0 ? describePoint(knobs, p.values) : `point ${p.index}` });
  }
  if (rows.length === 0) return undefined;
  const yTitle = hasCost ? 'monthly cost (USD)' : 'servers (all stations)';
  return paretoChart('cost-vs-p99', `${hasCost ? 'Monthly cost' : 'Servers'} against end-to-end p99 (Pareto front: nothing both cheaper and faster)`, 'end-to-end p99 (ms)', yTitle, rows);
}

/** The sweep's charts: p99 against each numeric knob with two or more values, and cost against p99. */
export function sweepCharts(knobs: readonly Knob[], points: readonly PointResult[]): ChartFile[] {
  const out: ChartFile[] = [];
  const ids = uniqueChartIds('p99-vs-', knobs.map((k) => k.path));
  knobs.forEach((k, j) => {
    if (k.numeric && k.values.length > 1) out.push(p99VsKnob(knobs, points, j, ids[j]));
  });
  const c = costVsP99(knobs, points);
  if (c) out.push(c);
  return out;
}

/** charts/<id>.vl.json and charts/<id>.svg for each chart. */
export async function renderCharts(charts: readonly ChartFile[]): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const c of charts) {
    files[`charts/${c.id}.vl.json`] = `${JSON.stringify(c.spec, null, 2)}\n`;
    files[`charts/${c.id}.svg`] = await renderSvg(c.spec);
  }
  return files;
}
