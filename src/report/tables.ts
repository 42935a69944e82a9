import type { Summary } from '../results/summary.ts';
import { fmt } from './table.ts';
import { purchaseHeadline, purchaseRows, spotRiskNote } from './purchase-table.ts';
import { entries, faultsOf, type NamedSummary } from './charts/input.ts';
import { figureWithInterval, latencyLabel, verdictMarkdown } from './verdict-text.ts';
import { energyReportTable } from './energy-text.ts';
import { markThin, thinPercentileKeys, thinPercentileNote, thinPercentileNoteByModel } from '../results/verdict.ts';
import { deployRows } from './deploy-table.ts';
import { classRows } from './class-table.ts';

/** A table of the report, rendered as Markdown (report.md) and as HTML (report.html). */
export interface ReportTable {
  title: string;
  header: string[];
  rows: string[][];
  note?: string;
  /** Folded away in report.md (a <details> block GitHub renders collapsed), to keep it short. */
  collapsed?: boolean;
}

type Ci = Record<string, [number, number]> | undefined;
const ciOf = (block: unknown): Ci => (block as { ci95?: Ci } | undefined)?.ci95;

/** "1,234 [1,180, 1,290]" (the 95% CI) with replications, "1,234" without. */
function withCi(x: number | null | undefined, ci: Ci, key: string): string {
  return figureWithInterval(x, ci?.[key]);
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${fmt(x * 100)}%`);

/** The one-line description of the run. */
export function runLine(s: Summary): string {
  const reps = s.replications > 1 ? `, ${s.replications} replications (seeds ${s.seed}..${s.seed + s.replications - 1}; figures are means [95% CI])` : `, seed ${s.seed}`;
  const incomplete = s.complete ? '' : ` **INCOMPLETE (${s.engine.stop_reason})**: results cover the simulated part only`;
  return `\`${s.scenario}\` (${s.scenario_file}): ${fmt(s.duration_s)} s simulated, warm-up ${fmt(s.warmup_s)} s${reps}; fleetsim ${s.fleetsim_version}.${incomplete}`;
}

/** Offered, completed and failed requests, with intervals over replications. */
function requestsTable(s: Summary): ReportTable {
  const r = s.requests;
  const rci = ciOf(r);
  return {
    title: 'Requests',
    header: ['offered', 'completed', 'failed', 'rejected', 'timed out', 'in flight at end', 'error rate', 'throughput/s'],
    rows: [[withCi(r.offered, rci, 'offered'), withCi(r.completed, rci, 'completed'), fmt(r.failed), `${fmt(r.rejected)}${r.rate_limited ? ` (${fmt(r.rate_limited)} rate-limited)` : ''}`, fmt(r.timed_out), fmt(r.in_flight_at_end), withCi(r.error_rate, rci, 'error_rate'), withCi(r.throughput_per_s, rci, 'throughput_per_s')]],
    ...(s.fleet?.sampled ? { note: s.fleet.note } : {}),
  };
}

/** End-to-end (and TTFT, TPOT) percentiles; those resting on too few requests marked `*`, as on the terminal. */
function latencyTable(s: Summary): ReportTable {
  const completed = s.requests.completed;
  const thinKeys = thinPercentileKeys(completed);
  const figure = (l: Record<'p50' | 'p90' | 'p99' | 'p999', number | null>, ci: Ci, key: 'p50' | 'p90' | 'p99' | 'p999') => markThin(thinKeys, key, withCi(l[key], ci, key));
  const note = thinPercentileNote(completed);
  return {
    title: 'Latency (ms)',
    header: ['', 'p50', 'p90', 'p99', 'p99.9', 'mean', 'max'],
    rows: entries(s.latency_ms).map(([k, l]) => {
      const ci = ciOf(l);
      return [latencyLabel(k), figure(l, ci, 'p50'), figure(l, ci, 'p90'), figure(l, ci, 'p99'), figure(l, ci, 'p999'), withCi(l.mean, ci, 'mean'), fmt(l.max)];
    }),
    ...(note ? { note } : {}),
  };
}

/** One row per served model, with its SLO met or missed. */
function byModelTable(s: Summary): ReportTable | undefined {
  const models = entries(s.by_model);
  if (models.length > 0) {
    // each model's percentiles rest on its own completed requests: marked `*` when too few, as the latency table's
    const note = thinPercentileNoteByModel(s.by_model!, ['p50', 'p99']);
    const figure = (m: (typeof models)[number][1], block: 'ttft' | 'e2e', key: 'p50' | 'p99') => markThin(thinPercentileKeys(m.requests.completed), key, withCi(m.latency_ms[block][key], ciOf(m.latency_ms[block]), key));
    return {
      title: 'By model',
      header: ['model', 'offered', 'completed', '429', 'TTFT p50', 'TTFT p99', 'TPOT p50', 'e2e p50', 'e2e p99', 'SLO', 'GPU busy'],
      rows: models.map(([name, m]) => [
        name,
        fmt(m.requests.offered),
        fmt(m.requests.completed),
        fmt(m.requests.rate_limited),
        figure(m, 'ttft', 'p50'),
        figure(m, 'ttft', 'p99'),
        markThin(thinPercentileKeys(m.requests.completed), 'p50', fmt(m.latency_ms.tpot.p50)),
        figure(m, 'e2e', 'p50'),
        figure(m, 'e2e', 'p99'),
        m.slo ? `${m.slo.e2e_p99_ms !== undefined ? `e2e p99 <= ${fmt(m.slo.e2e_p99_ms)}` : `TTFT p99 <= ${fmt(m.slo.ttft_p99_ms)}`}: ${m.slo.met ? 'met' : '**missed**'}` : '-',
        pct(m.utilization),
      ]),
      ...(note ? { note } : {}),
    };
  }
  return undefined;
}

/** One row per request class, with its SLO met or missed. */
function classesTable(s: Summary): ReportTable | undefined {
  const c = classRows(s, '**missed**');
  return c ? { title: 'Request classes', ...c } : undefined;
}

/** One row per GPU cluster. */
function gpuTable(s: Summary): ReportTable | undefined {
  const gpu = entries(s.gpu);
  if (gpu.length > 0) {
    return {
      title: 'GPU clusters',
      header: ['cluster', 'replicas sim/full', 'busy', 'batch mean', 'KV use', 'preemptions', 'output tok/s', 'MFU', 'MBU'],
      rows: gpu.map(([name, g]) => [name, `${fmt(g.replicas)}/${fmt(g.replicas_full)}`, pct(g.busy_fraction), fmt(g.batch_size_mean), pct(g.kv_utilization), fmt(g.preemptions), fmt(g.output_tokens_per_s), pct(g.mfu), pct(g.bandwidth_utilization)]),
    };
  }
  return undefined;
}

/** Latency per stage of the request path (collapsed). */
function stagesTable(s: Summary): ReportTable | undefined {
  const stages = entries(s.by_stage);
  if (stages.length > 0) {
    return {
      title: 'Stages (ms)',
      collapsed: true,
      header: ['stage', 'p50', 'p99', 'mean'],
      rows: stages.map(([name, st]) => [name, fmt(st.latency_ms.p50), fmt(st.latency_ms.p99), fmt(st.latency_ms.mean)]),
    };
  }
  return undefined;
}

/** The monthly bill by plane. */
function costTable(s: Summary): ReportTable | undefined {
  if (s.cost) {
    const c = s.cost;
    const ref = c.reference_monthly_usd?.total;
    return {
      title: 'Monthly cost (USD, full fleet)',
      header: ['plane', 'USD/month'],
      rows: [...entries(c.by_plane).map(([k, v]) => [k, `$${fmt(v)}`]), ['**total**', `**$${fmt(c.monthly_usd)}**`]],
      note: `$${fmt(c.usd_per_million_tokens)} per million tokens at the simulated load${typeof ref === 'number' ? `; reference total $${fmt(ref)}` : ''}.`,
    };
  }
  return undefined;
}

/** The control plane's deploys and what became of each. */
function deployTable(s: Summary): ReportTable | undefined {
  const d = deployRows(s);
  return d ? { title: 'Deploys', ...d } : undefined;
}

/** The purchase mix: the GPU bill by commitment per model, against all on-demand, and the spot risk. */
function purchaseTable(s: Summary): ReportTable | undefined {
  if (!s.purchase) return undefined;
  const risk = spotRiskNote(s.purchase);
  return { title: 'Purchase mix (USD/month, full fleet)', ...purchaseRows(s.purchase), note: `${purchaseHeadline(s.purchase)}.${risk ? ` ${risk}.` : ''}` };
}

/** Stations (the busiest six when there are many). */
function stationsTable(s: Summary): ReportTable | undefined {
  const stations = entries(s.stations);
  if (stations.length > 0) {
    const many = stations.length > 8;
    const shown = many ? [...stations].sort((a, b) => b[1].utilization - a[1].utilization).slice(0, 6) : stations;
    return {
      title: many ? `Busiest stations (6 of ${stations.length}; all in stations.csv)` : 'Stations',
      collapsed: many,
      header: ['station', 'servers', 'utilisation', 'per s', 'wait mean ms', 'wait p99 ms', 'sojourn p99 ms', 'queue mean', 'dropped'],
      rows: shown.map(([name, x]) => [name, fmt(x.servers), pct(x.utilization), fmt(x.throughput_per_s), fmt(x.wait_ms.mean), fmt(x.wait_ms.p99), fmt(x.sojourn_ms.p99), fmt(x.queue_len_mean), fmt(x.rejected + x.timed_out)]),
    };
  }
  return undefined;
}

/** The fault timeline. */
function faultsTable(s: Summary): ReportTable | undefined {
  const faults = faultsOf(s);
  if (faults.length > 0) {
    const t = (x: number | null | undefined) => (typeof x === 'number' ? fmt(x) : '-');
    return {
      title: 'Faults (s)',
      header: ['kind', 'target', 'start', 'detected', 'mitigated', 'end'],
      rows: faults.map((f) => [f.kind, f.target, t(f.start_s), t(f.detected_s), t(f.mitigated_s), t(f.end_s)]),
    };
  }
  return undefined;
}

/** What-if variants against the first. */
function variantsTable(variants: NamedSummary[] | undefined): ReportTable | undefined {
  if (variants && variants.length >= 2) {
    const base = variants[0].summary;
    const rel = (a: number | null | undefined, b: number | null | undefined) => (typeof a === 'number' && typeof b === 'number' && a !== 0 ? ` (${b >= a ? '+' : ''}${fmt(((b - a) / a) * 100, 2)}%)` : '');
    return {
      title: `Variants (change against ${variants[0].name})`,
      header: ['variant', 'e2e p99 ms', 'TTFT p99 ms', 'error rate', 'throughput/s', 'cost USD/month'],
      rows: variants.map((v) => {
        const x = v.summary;
        return [
          v.name,
          `${fmt(x.latency_ms.e2e.p99)}${rel(base.latency_ms.e2e.p99, x.latency_ms.e2e.p99)}`,
          `${fmt(x.latency_ms.ttft?.p99)}${rel(base.latency_ms.ttft?.p99, x.latency_ms.ttft?.p99)}`,
          `${fmt(x.requests.error_rate)}${rel(base.requests.error_rate, x.requests.error_rate)}`,
          `${fmt(x.requests.throughput_per_s)}${rel(base.requests.throughput_per_s, x.requests.throughput_per_s)}`,
          `${x.cost ? `$${fmt(x.cost.monthly_usd)}` : '-'}${rel(base.cost?.monthly_usd, x.cost?.monthly_usd)}`,
        ];
      }),
    };
  }
  return undefined;
}

export function summaryTables(s: Summary, variants?: NamedSummary[]): ReportTable[] {
  const tables = [requestsTable(s), latencyTable(s), byModelTable(s), classesTable(s), gpuTable(s), stagesTable(s), costTable(s), purchaseTable(s), energyReportTable(s), deployTable(s), stationsTable(s), faultsTable(s), variantsTable(variants)];
  return tables.filter((t): t is ReportTable => t !== undefined);
}

const mdCell = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A Markdown table (GitHub flavour): first column left, the others right-aligned. */
export function markdownTable(header: string[], rows: string[][]): string {
  const lines = [`| ${header.map(mdCell).join(' | ')} |`, `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.map(mdCell).join(' | ')} |`);
  return lines.join('\n');
}

/** report.md: the summary tables, short enough to paste into a pull request. */
export function renderMarkdown(s: Summary, opts: { variants?: NamedSummary[]; charts?: { id: string; title: string; file: string }[] } = {}): string {
  const out: string[] = [`## fleetsim: ${s.scenario}`, '', runLine(s), '', verdictMarkdown(s)];
  for (const t of summaryTables(s, opts.variants)) {
    const body = [markdownTable(t.header, t.rows), ''];
    if (t.note) body.push(`_${t.note}_`, '');
    if (t.collapsed) out.push(`<details><summary><b>${t.title}</b></summary>`, '', ...body, '</details>', '');
    else out.push(`### ${t.title}`, '', ...body);
  }
  if (opts.charts && opts.charts.length > 0) {
    out.push(`Charts: ${opts.charts.map((c) => `[${c.title}](${c.file})`).join(', ')}; all of them in \`report.html\`.`, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
