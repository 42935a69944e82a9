import { version } from '../version.ts';
import type { RunResult } from './run-result.ts';
import type { Prepared } from '../scenario/prepare.ts';
import type { LatencySummary } from '../metrics/latency.ts';
import type { RequestCounts } from '../metrics/outcomes.ts';
import { round } from './round.ts';
import type { FaultBand } from '../faults/types.ts';
import { summarizeFleet, type FleetParts, type LatencyBlocks, roundLatency } from './fleet-summary.ts';
import { summarizeControl, type ControlSummary } from './control-summary.ts';

export interface StationSummary {
  servers: number;
  utilization: number;
  arrivals: number;
  completed: number;
  rejected: number;
  timed_out: number;
  /** Fraction of arrivals that found every server busy (Erlang C's P(wait)). */
  wait_probability: number;
  throughput_per_s: number;
  wait_ms: LatencySummary;
  sojourn_ms: LatencySummary;
  queue_len_mean: number;
  queue_len_max: number;
}

export interface Summary extends Partial<FleetParts> {
  fleetsim_version: string;
  scenario: string;
  scenario_file: string;
  seed: number;
  replications: number;
  complete: boolean;
  duration_s: number;
  warmup_s: number;
  window_s: number;
  requests: RequestCounts & { error_rate: number; throughput_per_s: number; goodput_per_s: number; rate_limited?: number };
  /** The fault timeline as it played out (start, detected, mitigated, end, recovered), and stochastic failures. */
  faults?: FaultBand[];
  failures?: { gpu_failures: number; tier_failures: number };
  /** Attempts, when a client section sends retries or gives up on attempts. */
  attempts?: { attempts: number; retries: number; abandoned: number; short_circuited: number; budget_exhausted: number };
  latency_ms: { e2e: LatencySummary } & Partial<Omit<LatencyBlocks, 'e2e'>>;
  stations: Record<string, StationSummary>;
  engine: { events: number; wall_s: number; events_per_s: number; stop_reason: string };
  /** The control plane: scaling events, replicas over time, cold starts, deploys, the autoscaled bill. */
  control?: ControlSummary;
}


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
  return {
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
      // Throughput counts what servers finished; goodput what reached a client still waiting.
      throughput_per_s: round(r.client.servedAttempts / measured_s),
      goodput_per_s: round(c.completed / measured_s),
      ...(fleet ? { rate_limited: fleet.rate_limited } : {}),
    },
    ...(prep.scenario.client ? { attempts: { ...r.client.attemptCounts } } : {}),
    ...(r.faults.bands.length > 0 ? { faults: r.faults.bands } : {}),
    ...(prep.scenario.failures ? { failures: { ...r.faults.stochastic } } : {}),
    latency_ms: fleet ? fleet.latency : { e2e: roundLatency(r.e2e.summary()) },
    stations,
    ...(fleet ? fleet.parts : {}),
    ...(r.control ? { control: summarizeControl(prep, r) } : {}),
    engine: {
      events: r.events,
      wall_s: round(r.wall_s),
      events_per_s: round(r.wall_s > 0 ? r.events / r.wall_s : 0),
      stop_reason: r.stop_reason,
    },
  };
}
