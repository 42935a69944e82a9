import { z } from 'zod';
import { FleetSchema } from '../fleet/schema.ts';
import { ArrivalsSchema } from '../workload/schema.ts';
import { TopologySchema } from '../fleet/stations/schema.ts';
import { ClientSchema } from '../fleet/client-schema.ts';
import { FaultsFields } from '../faults/schema.ts';
import { checkVersionDeploys, ControlSchema } from '../fleet/control/schema.ts';
import { ScenarioBudgetsSchema } from './budget-schema.ts';
import { MAX_WINDOW_S } from '../util/limits.ts';
import { printableName, nonNegNum, posInt, posNum, prob, seedInt, strict } from '../util/zod-helpers.ts';


const Limits = strict({
  /** Stop after this many events: a guard against runaway scenarios. */
  max_events: posInt().default(2_000_000_000),
  /** Stop after this much wall time for the whole command (every replication and sweep point); the report is then marked incomplete. */
  max_wall_s: posNum().default(3600),
  /** Default bound of every queue. */
  max_queue: posInt().default(1_000_000),
  /** Refuse to start when the estimated memory exceeds this (default 4; see experiment/memory.ts). */
  max_memory_gb: posNum().optional(),
});

export const ScenarioSchema = strict({
  /** Printed at the head of every report and log line about the run: one printable line. */
  name: printableName(),
  description: z.string().optional(),
  seed: seedInt().default(1),
  duration_s: posNum(),
  warmup_s: nonNegNum().default(0),
  /** Width of the time-series windows (default: duration_s / 100, at least 1 s). */
  window_s: posNum().max(MAX_WINDOW_S).optional(),
  replications: posInt().default(1),
  workload: strict({ arrivals: ArrivalsSchema }),
  /** Client behaviour: timeouts, retries, backoff, budgets, circuit breaker (default: one attempt, no timeout). */
  client: ClientSchema.optional(),
  /** A network of generic stations (queueing models) ... */
  topology: TopologySchema.optional(),
  /** ... or the LLM serving fleet. Exactly one of the two. */
  fleet: FleetSchema.optional(),
  ...FaultsFields,
  /** The control plane: autoscalers, rolling / blue-green deploys, canary rollouts, A/B experiments. */
  control: ControlSchema.optional(),
  /** Service-level objectives: used by replay (time to recover, error budget) and shown in reports. */
  slo: strict({
    e2e_p99_ms: posNum().optional(),
    ttft_p99_ms: posNum().optional(),
    /**
     * A window is within SLO when its error rate (failed, timed out and rejected) is at most this
     * (replay's rule; 0.01 when not set). Set, `check` also gates the whole run's error rate on it.
     */
    error_rate: prob().optional(),
    /**
     * Monthly availability target: the error budget is (1 - availability) of the month's requests
     * (0.999 when not set). Set, `check` also gates the run's failure share at 1 - availability.
     */
    availability: prob().optional(),
  }).optional(),
  /** Latency, error and cost budgets checked by `fleetsim check`: "path <= value" or { metric, op, value }. */
  budgets: ScenarioBudgetsSchema.optional(),
  /** What an incident scenario replays: its source, what the replay should show, and the published figures. */
  incident: strict({
    source: z.string().min(1),
    expect: z.string().optional(),
    reference: strict({
      duration_s: posNum().optional(),
      peak_error_rate: prob().optional(),
      peak_p99_ms: posNum().optional(),
      error_rate_increase: prob().optional(),
      detection_s: posNum().optional(),
      recovery_s: posNum().optional(),
    }).default({}),
    /** Published figures the model cannot reproduce, each with the reason (shown in the replay's report). */
    not_reproduced: z.partialRecord(z.enum(['duration_s', 'peak_error_rate', 'peak_p99_ms', 'error_rate_increase', 'detection_s', 'recovery_s']), z.string().min(1).max(2000)).default({}),
  }).optional(),
  limits: Limits.default({ max_events: 2_000_000_000, max_wall_s: 3600, max_queue: 1_000_000 }),
}).superRefine((s, ctx) => {
  // Checks between the control plane and the fleet it acts on (neither schema sees the other).
  checkVersionDeploys(s.control, s.fleet, ctx);
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
