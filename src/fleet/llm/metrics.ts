import { LatencyStats } from '../../metrics/latency.ts';
import type { TimeSeries } from '../../metrics/timeseries.ts';
import { STAGE_NAMES } from './stages.ts';

/** Per served model. */
export class ModelMetrics {
  readonly ttft = new LatencyStats();
  readonly tpot = new LatencyStats();
  /** Submit to first admission into the running batch (vLLM's scheduling delay). */
  readonly scheduling_delay = new LatencyStats();
  rate_limited = 0;
  spilled = 0;
  /** Preemptions of completed requests (recompute after KV ran out). */
  preemptions = 0;
  output_tokens = 0;
  prompt_tokens = 0;
  /** Reasoning models only (reasoning.ts): time to the first visible token, and the hidden tokens among output_tokens. */
  ttfvt: LatencyStats | null = null;
  reasoning_tokens = 0;
  /** Reasoning models only: measured requests whose visible answer the context window cut (tokens.ts answerCut). */
  answers_cut = 0;
}

/** Everything the fleet pipeline measures (after warm-up). */
export class FleetMetrics {
  readonly ttft = new LatencyStats();
  readonly tpot = new LatencyStats();
  rate_limited = 0;
  readonly stages = STAGE_NAMES.map(() => new LatencyStats());
  readonly models: ModelMetrics[];
  /** Per-window TTFT (set by the run). */
  series?: TimeSeries;

  constructor(modelCount: number) {
    this.models = Array.from({ length: modelCount }, () => new ModelMetrics());
  }
}
