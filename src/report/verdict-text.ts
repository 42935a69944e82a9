import type { Summary } from '../results/summary.ts';
import { unjudgedReason, type ClassVerdict, type SloVerdict } from '../results/verdict.ts';
import { fmt } from './table.ts';
import { energyVerdictLines } from './energy-text.ts';
import { cacheVerdictLines } from './cache-verdict-text.ts';

/** One line of the verdict as a reader sees it; `bad` marks what needs attention. */
export interface VerdictLine {
  text: string;
  bad: boolean;
}

/** The verdict in words: a headline, then SLOs, the bill, steady state and every warning. */
export interface VerdictText {
  headline: string;
  lines: VerdictLine[];
}

/** The row name of a latency block in the report's tables. */
export const latencyLabel = (key: string) =>
  key === 'e2e_including_in_flight' ? 'e2e with in-flight ages (lower bound)' : key === 'ttft_including_in_flight' ? 'ttft with waiting ages (lower bound)' : key;

/** "1,234 [1,100, 1,400]": a figure and its interval, the interval's parts kept together. */
export function figureWithInterval(x: number | null | undefined, interval?: readonly [number, number]): string {
  return interval && x !== null && x !== undefined ? `${fmt(x)} [${fmt(interval[0])},\u00a0${fmt(interval[1])}]` : fmt(x);
}

function sloLine(model: string, v: SloVerdict, replications: number, shaky: string): VerdictLine {
  const name = v.metric === 'ttft.p99' ? 'TTFT p99' : 'e2e p99';
  const interval = v.interval ? ` (95% CI ${figureWithInterval(v.value_ms, v.interval).replace(/^\S+ /, '')})` : replications > 1 ? '' : ' (one run: no interval)';
  const lower = typeof v.lower_bound_ms === 'number' && v.value_ms !== null && v.lower_bound_ms > v.value_ms ? `; at least ${fmt(v.lower_bound_ms)} ms counting requests still in flight` : '';
  const met = shaky ? `met in this run, not shown to hold (${shaky})` : 'met';
  return { text: `${model}: ${name} ${fmt(v.value_ms)} ms${interval}${lower}, target ${fmt(v.target_ms)} ms: ${v.met ? met : 'MISSED'}`, bad: !v.met || shaky !== '' };
}

/**
 * Why an SLO met in this run may not hold in the system: a latency measured while a backlog grows,
 * in a run too short to tell, past capacity or stopped early measures the run (a 6-s run of a fleet
 * 125% over capacity "met" a TTFT p99 its 120-s run misses 16 times over).
 */
function shakyReason(s: Summary): string {
  const v = s.verdict;
  if (!s.complete) return 'the run stopped early';
  if (!v.steady_state.ok) return 'the run is not at steady state';
  if (unjudgedReason(s) !== undefined) return 'the run is too short to judge steady state';
  if (v.warnings.some((w) => w.code === 'over_capacity')) return 'the fleet is over capacity at the mean rate';
  return '';
}

/** A class's SLO targets in words: "ttft p99 <= 2,000 ms, tpot p99 <= 100 ms". */
export function classTargetsText(slo: { ttft_p99_ms?: number; tpot_p99_ms?: number; e2e_p99_ms?: number }): string {
  return (['ttft', 'tpot', 'e2e'] as const).flatMap((m) => (slo[`${m}_p99_ms`] === undefined ? [] : [`${m} p99 <= ${fmt(slo[`${m}_p99_ms`])} ms`])).join(', ');
}

/** The request classes with an SLO that received requests (judged), and those without requests. */
function classSlos(s: Summary): { judged: [string, ClassVerdict][]; silent: string[] } {
  const judged: [string, ClassVerdict][] = [];
  const silent: string[] = [];
  for (const [name, v] of Object.entries(s.verdict.classes ?? {})) {
    if (!s.classes?.by_class[name]?.slo) continue; // no targets: nothing to meet or miss
    if (v.met === null) silent.push(name);
    else judged.push([name, v]);
  }
  return { judged, silent };
}

/** One verdict line per request class with an SLO and requests: missed with its figures, or met (one without requests is the warning class_without_requests). */
function classSloLines(s: Summary, shaky: string): VerdictLine[] {
  return classSlos(s).judged.map(([name, v]): VerdictLine => {
    const served = `SLO attainment ${v.slo_attainment === null ? '-' : `${fmt(v.slo_attainment * 100)}%`}, goodput ${fmt(v.goodput_per_s)}/s`;
    if (!v.met) return { text: `class ${name}: ${v.missed.join(', ')}: MISSED (${served})`, bad: true };
    const met = shaky ? `met in this run, not shown to hold (${shaky})` : 'met';
    return { text: `class ${name}: ${classTargetsText(s.classes!.by_class[name].slo!)}: ${met} (${served})`, bad: shaky !== '' };
  });
}

/** The SLO part of the headline: models' and classes' SLOs, a missed class named. */
function sloHeadline(s: Summary, shaky: string): string {
  const slos = Object.values(s.verdict.slo);
  const { judged, silent } = classSlos(s);
  const parts: string[] = [];
  const qualified = shaky ? ` in this run, not shown to hold (${shaky})` : '';
  const missed = slos.filter((x) => !x.met).length;
  if (slos.length > 0) parts.push(missed > 0 ? `SLO missed for ${missed} of ${slos.length} models` : `SLO met for ${slos.length === 1 ? 'the model' : `all ${slos.length} models`}${qualified}`);
  const missedClasses = judged.filter(([, v]) => !v.met).map(([name]) => name);
  if (missedClasses.length > 0) parts.push(`SLO missed for class${missedClasses.length === 1 ? '' : 'es'} ${missedClasses.join(', ')} (${missedClasses.length} of ${judged.length} with an SLO and requests)`);
  else if (judged.length > 0) parts.push(`SLO met for ${judged.length === 1 ? `class ${judged[0][0]}` : `all ${judged.length} classes`}${qualified}`);
  if (silent.length > 0) parts.push(`SLO not judged for class${silent.length === 1 ? '' : 'es'} ${silent.join(', ')} (no requests)`);
  return parts.length > 0 ? parts.join('; ') : 'no SLO set';
}

/** The SLO part of the verdict's headline, for `check --budgets-only` to show what it does not gate. */
export const sloVerdictHeadline = (s: Summary): string => sloHeadline(s, shakyReason(s));

export function verdictText(s: Summary): VerdictText {
  const v = s.verdict;
  const lines: VerdictLine[] = [];
  const slos = Object.entries(v.slo);
  const shaky = shakyReason(s);
  for (const [model, x] of slos) lines.push(sloLine(model, x, s.replications, shaky));
  lines.push(...classSloLines(s, shaky));
  if (s.cost) {
    const ref = s.cost.reference_monthly_usd?.total;
    // an autoscaled fleet pays for the replicas it ran: that bill leads, the fixed fleet's beside it
    const auto = s.control?.bill;
    const bill = auto ? `$${fmt(auto.autoscaled_monthly_usd)} autoscaled (the fixed fleet: $${fmt(s.cost.monthly_usd)})` : `$${fmt(s.cost.monthly_usd)}`;
    lines.push({ text: `monthly bill (full fleet): ${bill}${typeof ref === 'number' ? ` against a reference of $${fmt(ref)}` : ''}`, bad: false });
  }
  if (s.energy) lines.push(...energyVerdictLines(s.energy).map((text) => ({ text, bad: false })));
  lines.push(...cacheVerdictLines(s).map((text) => ({ text, bad: false })));
  const unjudged = unjudgedReason(s) !== undefined;
  if (!v.steady_state.ok) lines.push({ text: `steady state: NO: ${v.steady_state.reasons.join('; ')}. Latencies and request counts describe this run's length, not the system`, bad: true });
  else if (!unjudged) lines.push({ text: 'steady state: yes (in-flight and queued requests do not grow over the second half of the measured period)', bad: false });
  for (const w of v.warnings) {
    if (w.code === 'not_steady') continue; // said on the steady-state line
    lines.push({ text: `warning (${w.code}): ${w.message}`, bad: true });
  }
  const parts = [
    sloHeadline(s, shaky),
    !v.steady_state.ok ? 'NOT at steady state' : unjudged ? 'steady state not judged' : 'at steady state',
    `${v.warnings.length} warning${v.warnings.length === 1 ? '' : 's'}`,
  ];
  return { headline: `Verdict: ${parts.join('; ')}`, lines };
}

/** The verdict as Markdown: a section report.md opens with. */
export function verdictMarkdown(s: Summary): string {
  if (!s.verdict) return ''; // a summary.json written before 0.2.0
  const t = verdictText(s);
  return [`### ${t.headline}`, '', ...t.lines.map((l) => `- ${l.bad ? '**' : ''}${l.text.replace(/\*/g, '\\*')}${l.bad ? '**' : ''}`), ''].join('\n');
}

/** The verdict for the terminal: the headline, then one indented line each. */
export function verdictTerminal(s: Summary): string {
  if (!s.verdict) return '';
  const t = verdictText(s);
  return [t.headline, ...t.lines.map((l) => `  ${l.bad ? '!' : '-'} ${l.text}`)].join('\n');
}
