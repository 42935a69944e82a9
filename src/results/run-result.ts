import type { StopReason } from '../engine/sim.ts';
import type { LatencyStats } from '../metrics/latency.ts';
import type { RequestCounts } from '../metrics/outcomes.ts';
import type { TimeSeries } from '../metrics/timeseries.ts';
import type { PowerWindows } from './power-series.ts';
import type { ClientLayer } from '../fleet/client.ts';
import type { ControlRecord } from '../fleet/control/install.ts';
import type { BuiltFleet } from '../fleet/llm/build.ts';
import type { Station } from '../fleet/stations/station.ts';
import type { FaultRecord } from '../faults/install.ts';

/** Everything one run measured; sketches stay mergeable for replications and shards. */
export interface RunResult {
  seed: number;
  duration_ms: number;
  warmup_ms: number;
  counts: RequestCounts;
  e2e: LatencyStats;
  /**
   * End-to-end latency with the requests still in flight at the end counted at their ages
   * (censored observations), in total and per class: its percentiles are lower bounds of the
   * true ones, where e2e's leave those requests out.
   */
  e2eIncludingInFlight: { all: LatencyStats; byClass: LatencyStats[] };
  /** Fleet runs: TTFT with the attempts still waiting for a first token counted at their ages (lower bounds, as above). */
  ttftIncludingInFlight?: { all: LatencyStats; byModel: LatencyStats[] };
  stations: Station[];
  timeseries: TimeSeries;
  /** Fleet runs: full-fleet GPU power per window of the time series (results/power-series.ts). */
  power?: PowerWindows;
  events: number;
  wall_s: number;
  stop_reason: StopReason;
  /** False when a limit (events, wall time) stopped the run before duration_s. */
  complete: boolean;
  /** The LLM fleet's components and measurements, for fleet scenarios. */
  fleet?: BuiltFleet;
  /** Per-class (model) outcomes and end-to-end latency, and attempt counts. */
  client: ClientLayer;
  /** The fault timeline as it played out, and stochastic failure counts. */
  faults: FaultRecord;
  /** The control plane (autoscalers, deploys), when the scenario has one. */
  control?: ControlRecord;
}
