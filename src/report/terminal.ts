import type { Summary } from '../results/summary.ts';
import { fmt, table } from './table.ts';
import { purchaseHeadline, purchaseRows, spotRiskNote } from './purchase-table.ts';
import { figureWithInterval, latencyLabel, verdictTerminal } from './verdict-text.ts';
import { energyTerminalLines } from './energy-text.ts';
import { markThin, thinPercentileKeys, thinPercentileNote, thinPercentileNoteByModel } from '../results/verdict.ts';
import { kvTierTable } from './cache-verdict-text.ts';
import { deployRows } from './deploy-table.ts';
import { classRows } from './class-table.ts';

const withCi = (x: number | null, ci?: [number, number]) => figureWithInterval(x, ci).replace(/\u00a0/g, ' ');

/** The LLM fleet's part of the terminal summary: models, GPU clusters, stages, the bill, the control plane. */
function fleetLines(s: Summary): string[] {
  const out: string[] = [];
  if (s.by_model) {
    out.push('');
    const rows = Object.entries(s.by_model).map(([name, m]) => {
      // each model's percentiles rest on its own completed requests: marked as the latency table's
      const mark = (key: string, x: number | null) => markThin(thinPercentileKeys(m.requests.completed), key, fmt(x));
      return [
        name,
        fmt(m.requests.offered),
        fmt(m.requests.completed),
        fmt(m.requests.rate_limited),
        mark('p50', m.latency_ms.ttft.p50),
        mark('p99', m.latency_ms.ttft.p99),
        mark('p50', m.latency_ms.tpot.p50),
        mark('p50', m.latency_ms.e2e.p50),
        mark('p99', m.latency_ms.e2e.p99),
        m.slo ? `${fmt(m.slo.e2e_p99_ms ?? m.slo.ttft_p99_ms)} ${m.slo.met ? 'met' : 'MISSED'}` : '-',
        fmt(m.utilization),
      ];
    });
    out.push(table(['model', 'offered', 'completed', '429', 'ttft p50', 'ttft p99', 'tpot p50', 'e2e p50', 'e2e p99', 'slo p99', 'gpu busy'], rows));
    const thinNote = thinPercentileNoteByModel(s.by_model, ['p50', 'p99']);
    if (thinNote) out.push(thinNote);
  }
  if (s.gpu) {
    out.push('');
    const rows = Object.entries(s.gpu).map(([name, g]) => [name, `${g.replicas}/${fmt(g.replicas_full)}`, fmt(g.busy_fraction), fmt(g.batch_size_mean), fmt(g.kv_utilization), fmt(g.preemptions), fmt(g.output_tokens_per_s), fmt(g.mfu), fmt(g.bandwidth_utilization)]);
    out.push(table(['gpu cluster', 'replicas sim/full', 'busy', 'batch', 'kv use', 'preempt', 'out tok/s', 'mfu', 'mbu'], rows));
    const caching = Object.entries(s.gpu).filter(([, g]) => g.prefix_hit_rate !== undefined);
    if (caching.length > 0) {
      out.push('');
      const prefixRows = caching.map(([name, g]) => [name, fmt(g.prefix_hit_rate!), fmt(g.prefix_tokens_saved_per_s!), `$${fmt(g.prefix_usd_saved_per_month ?? 0)}`, fmt(g.prefix_evicted_blocks!)]);
      out.push(table(['prefix cache', 'hit rate', 'tokens saved/s', 'saved a month', 'evicted blocks'], prefixRows));
    }
    const tiers = kvTierTable(s);
    if (tiers) out.push('', table(tiers.header, tiers.rows));
  }
  if (s.by_stage) {
    out.push('');
    const rows = Object.entries(s.by_stage).map(([name, st]) => [name, fmt(st.latency_ms.p50), fmt(st.latency_ms.p99), fmt(st.latency_ms.mean)]);
    out.push(table(['stage ms', 'p50', 'p99', 'mean'], rows));
  }
  if (s.cost) {
    out.push('');
    const ref = s.cost.reference_monthly_usd;
    const auto = s.control?.bill;
    const autoPerToken = auto && auto.fixed_monthly_usd > 0 ? `; autoscaled: $${fmt(auto.autoscaled_monthly_usd)}, $${fmt(s.cost.usd_per_million_tokens * auto.autoscaled_monthly_usd / auto.fixed_monthly_usd)} per million tokens` : '';
    out.push(`monthly cost (full fleet${auto ? ', fixed' : ''}): $${fmt(s.cost.monthly_usd)}${ref?.total ? ` (reference: $${fmt(ref.total)})` : ''}; $${fmt(s.cost.usd_per_million_tokens)} per million tokens at this load (the whole bill over the prompt and output tokens served)${autoPerToken}`);
    out.push(table(['plane', 'monthly usd'], Object.entries(s.cost.by_plane).filter(([k]) => k !== 'ci95').map(([k, v]) => [k, fmt(v as number)])));
  }
  out.push(...energyTerminalLines(s));
  if (s.purchase) {
    const { header, rows } = purchaseRows(s.purchase);
    out.push('', purchaseHeadline(s.purchase), table(header, rows));
    const risk = spotRiskNote(s.purchase);
    if (risk) out.push(risk);
  }
  if (s.control) {
    const b = s.control.bill;
    out.push('');
    out.push(`control plane: ${fmt(s.control.events_total)} scaling events, ${fmt(s.control.cold_starts)} cold starts; ${s.control.note}`);
    if (b) out.push(`autoscaled bill $${fmt(b.autoscaled_monthly_usd)}/month vs fixed $${fmt(b.fixed_monthly_usd)}: saving $${fmt(b.saving_usd)} (${fmt(b.saving_pct)}%)`);
    const slo = Object.entries(s.control.slo_attainment ?? {}).map(([m, a]) => `${m} ${fmt(a.attainment * 100)}% within ${fmt(a.e2e_p99_ms)} ms`);
    if (slo.length) out.push(`SLO attainment (share of requests within the model's e2e target): ${slo.join(', ')}`);
    for (const [kind, target, at_s, outcome] of deployRows(s)?.rows ?? []) out.push(`deploy ${kind} of ${target} at ${at_s} s: ${outcome}`);
  }
  return out;
}

/** The compact human summary printed after a run. */
export function renderSummary(s: Summary): string {
  const out: string[] = [];
  const reps = s.replications > 1 ? `, ${s.replications} replications (seeds ${s.seed}..${s.seed + s.replications - 1}, mean [95% CI])` : '';
  out.push(`${s.scenario}: ${fmt(s.duration_s)} s simulated (warm-up ${fmt(s.warmup_s)} s), seed ${s.seed}${reps}${s.complete ? '' : '  [INCOMPLETE: ' + s.engine.stop_reason + ']'}`);
  const verdict = verdictTerminal(s);
  if (verdict) out.push('', verdict);
  const r = s.requests;
  const rci = r.ci95 ?? {};
  out.push('');
  out.push(
    table(
      ['requests', 'offered', 'completed', 'failed', 'rejected', 'timed out', 'in flight', 'error rate', 'per s'],
      [['', withCi(r.offered, rci.offered), withCi(r.completed, rci.completed), fmt(r.failed), fmt(r.rejected), fmt(r.timed_out), fmt(r.in_flight_at_end), fmt(r.error_rate), withCi(r.throughput_per_s, rci.throughput_per_s)]],
    ),
  );
  out.push('');
  // a percentile with fewer than ten requests beyond it is one of the slowest few, not a tail: marked
  const thinKeys = thinPercentileKeys(r.completed);
  const mark = (key: string, text: string) => markThin(thinKeys, key, text);
  const lat = Object.entries(s.latency_ms).map(([k, l]) => {
    const ci = l.ci95 ?? {};
    return [latencyLabel(k), mark('p50', withCi(l.p50, ci.p50)), mark('p90', withCi(l.p90, ci.p90)), mark('p99', withCi(l.p99, ci.p99)), mark('p999', withCi(l.p999, ci.p999)), withCi(l.mean, ci.mean), fmt(l.max)];
  });
  out.push(table(['latency ms', 'p50', 'p90', 'p99', 'p99.9', 'mean', 'max'], lat));
  const thinNote = thinPercentileNote(r.completed);
  if (thinNote) out.push(thinNote);
  const classes = classRows(s, 'MISSED');
  if (classes) out.push('', table(classes.header, classes.rows), ...(classes.note ? [classes.note] : []));
  out.push('');
  const st = Object.entries(s.stations).map(([name, x]) => [
    name,
    x.servers,
    fmt(x.utilization),
    fmt(x.throughput_per_s),
    fmt(x.wait_ms.mean),
    fmt(x.wait_ms.p99),
    fmt(x.sojourn_ms.p99),
    fmt(x.queue_len_mean),
    x.queue_len_max,
    x.rejected + x.timed_out,
  ]);
  out.push(table(['station', 'servers', 'util', 'per s', 'wait mean', 'wait p99', 'sojourn p99', 'queue mean', 'max', 'dropped'], st));
  out.push(...fleetLines(s));
  if (s.fleet) out.push('', s.fleet.note);
  out.push('');
  out.push(`engine: ${fmt(s.engine.events)} events in ${fmt(s.engine.wall_s)} s (${fmt(s.engine.events_per_s)} events/s)`);
  return out.join('\n');
}
