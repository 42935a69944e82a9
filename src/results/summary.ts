import { version } from '../version.ts';
import type { RunResult } from './run-result.ts';
import type { Prepared } from '../scenario/prepare.ts';
import type { z } from 'zod';
import type { StopReason } from '../engine/sim.ts';
import type { WindowRow } from '../metrics/timeseries.ts';
import { round } from './round.ts';
import { summarizeFleet, roundLatency, type FleetParts } from './fleet-summary.ts';
import { summarizeControl } from './control-summary.ts';
import { summarizePurchase } from './purchase-summary.ts';
import type { StationSummarySchema, SummarySchema } from './summary-schema.ts';
import type { Ci95 } from './summary-schema-parts.ts';
import { capacityLoads, servedModelBiases } from './capacity.ts';
import { classesWithoutRequestsWarning, classVerdicts, firstVisibleTokenVerdicts, runWarnings, sloVerdict, steadyState, type SloVerdict, type Verdict, type VerdictWarning } from './verdict.ts';
import { partRackPools } from '../fleet/llm/cost.ts';
import { faultsOfRun, pastEndFaultWarning, warmupFaultWarning } from './fault-coverage.ts';
import { summarizeClasses, type ClassesSummary } from './class-summary.ts';
import { fleetFigures } from './class-bill.ts';
import type { RequestClasses } from '../fleet/classes.ts';

/** summary.json: the type is inferred from its one declaration (results/summary-schema.ts). */
export type Summary = z.infer<typeof SummarySchema>;
export type StationSummary = z.infer<typeof StationSummarySchema>;
/** A `ci95` block of a replicated summary: [lo, hi] per numeric sibling. */
export type Ci95Block = z.infer<typeof Ci95>;

/** summary.json of one run. Statistics cover [warmup_s, end]; requests are those that arrived after warm-up. */
export function summarizeRun(prep: Prepared, r: RunResult, window_ms: number): Summary {
  const sc = prep.scenario;
  const measured_s = (r.duration_ms - r.warmup_ms) / 1000;
  const c = r.counts;
  const errors = c.failed + c.rejected + c.timed_out;
  const ended = c.completed + errors;
  const stations: Record<string, StationSummary> = {};
  for (const st of r.stations) {
    const s = st.stats;
    stations[st.name] = {
      servers: st.servers,
      utilization: round(s.areaBusy / (st.servers * measured_s * 1000)),
      arrivals: s.arrivals,
      completed: s.completed,
      rejected: s.rejected,
      timed_out: s.timedOut,
      wait_probability: round(s.arrivals > 0 ? s.waited / s.arrivals : 0),
      throughput_per_s: round(s.completed / measured_s),
      wait_ms: roundLatency(s.wait.summary()),
      sojourn_ms: roundLatency(s.sojourn.summary()),
      queue_len_mean: round(s.areaQueue / (measured_s * 1000)),
      queue_len_max: s.queueMax,
    };
  }
  const fleet = r.fleet ? summarizeFleet(prep, r) : undefined;
  const faults = faultsOfRun(r.faults.bands, r.duration_ms, sc.warmup_s);
  const summary: Omit<Summary, 'verdict'> = {
    fleetsim_version: version,
    scenario: sc.name,
    scenario_file: prep.file,
    seed: r.seed,
    replications: 1,
    complete: r.complete,
    duration_s: round(r.duration_ms / 1000),
    warmup_s: sc.warmup_s,
    window_s: window_ms / 1000,
    requests: {
      ...c,
      error_rate: round(ended > 0 ? errors / ended : 0),
      // Throughput counts what servers finished; goodput what reached a client still waiting: both
      // inside the measured window, whenever the request arrived (client.ts), so that an overloaded
      // run's rates are its capacity, not its capacity cut by the queueing time over the window.
      throughput_per_s: round(r.client.servedAttempts / measured_s),
      goodput_per_s: round(r.client.deliveredInWindow / measured_s),
      ...(fleet ? { rate_limited: fleet.rate_limited } : {}),
    },
    ...(prep.scenario.client ? { attempts: { ...r.client.attemptCounts } } : {}),
    ...(faults.length > 0 ? { faults } : {}),
    ...(prep.scenario.failures ? { failures: { ...r.faults.stochastic } } : {}),
    latency_ms: fleet
      ? fleet.latency
      : { e2e: roundLatency(r.e2e.summary()), e2e_including_in_flight: roundLatency(r.e2eIncludingInFlight.all.summary()) },
    stations,
    ...(fleet ? fleet.parts : {}),
    ...optionalPurchase(prep, r),
    ...(r.fleet?.pipeline.requestClasses ? { classes: classesBlock(prep, r.fleet.pipeline.requestClasses, fleet!.parts, measured_s, window_ms) } : {}),
    ...(r.control ? { control: summarizeControl(prep, r) } : {}),
    engine: {
      events: r.events,
      wall_s: round(r.wall_s),
      events_per_s: round(r.wall_s > 0 ? r.events / r.wall_s : 0),
      stop_reason: finalStopReason(r.stop_reason),
    },
  };
  const pastEnd = pastEndFaultWarning(r.faults.bands, { duration_s: summary.duration_s, complete: r.complete });
  return { verdict: runVerdict(prep, summary, r.timeseries.rows(), pastEnd), ...summary };
}

/** The classes block; the bill and carbon by class rest on the fleet's cost and energy blocks. */
function classesBlock(prep: Prepared, classes: RequestClasses, parts: FleetParts, measured_s: number, window_ms: number): ClassesSummary {
  const run = { warmup_s: prep.scenario.warmup_s, measured_s, window_s: window_ms / 1000 };
  return summarizeClasses(classes, measured_s, fleetFigures(prep.scenario.fleet!, parts, classes, run));
}

/** A finished run never stopped on 'yield' (a wall-time slice, after which experiment/run-sliced.ts resumes it). */
function finalStopReason(reason: StopReason): Summary['engine']['stop_reason'] {
  if (reason === 'yield') throw new Error('summarizeRun: the run was summarised after a wall-time slice, before it finished');
  return reason;
}

/** The verdict of one run: SLOs from by_model, steady state from the time series, warnings. */
function runVerdict(prep: Prepared, s: Omit<Summary, 'verdict'>, rows: WindowRow[], pastEndFault: VerdictWarning | undefined): Verdict {
  const slo: Record<string, SloVerdict> = {};
  for (const [name, m] of Object.entries(s.by_model ?? {})) {
    const v = m.slo ? sloVerdict(m.slo, m.latency_ms) : undefined;
    if (v) slo[name] = v;
  }
  const steady = steadyState(rows, { warmup_s: s.warmup_s, duration_s: s.duration_s, window_s: s.window_s });
  const input = { ...s, stop_reason: s.engine.stop_reason };
  const firstVisible = firstVisibleTokenVerdicts(s.by_model);
  return {
    slo,
    ...(s.classes ? { classes: classVerdicts(s.classes) } : {}),
    ...(firstVisible ? { first_visible_token: firstVisible } : {}),
    steady_state: { ok: steady.ok, reasons: steady.reasons, served_fraction: steady.served_fraction },
    warnings: [...runWarnings(input, capacityLoads(prep), steady, servedModelBiases(prep)), ...rackWarnings(prep), ...optional(warmupFaultWarning(s.faults ?? [], s.warmup_s)), ...optional(pastEndFault), ...optional(classesWithoutRequestsWarning(s.classes))],
  };
}

const optional = <T>(x: T | undefined): T[] => (x === undefined ? [] : [x]);

/** GPU pools filling part of a rack sold only whole (fleet/llm/cost.ts partRackPools): their bill is a lower bound. */
function rackWarnings(prep: Prepared): VerdictWarning[] {
  const pools = prep.scenario.fleet ? partRackPools(prep.scenario.fleet) : [];
  return pools.length > 0 ? [{ code: 'part_rack', message: pools.join('; ') }] : [];
}

/** The purchase block, only for a fleet with a purchase mix (other summaries keep their bytes). */
function optionalPurchase(prep: Prepared, r: RunResult): Pick<Summary, 'purchase'> {
  const purchase = summarizePurchase(prep, r);
  return purchase ? { purchase } : {};
}
