import type { BuiltFleet } from '../fleet/llm/build.ts';
import type { GpuCluster } from '../fleet/llm/replicas.ts';
import type { TimeSeries } from '../metrics/timeseries.ts';

/** True for a served model whose requests share system prompts and whose engine caches them. */
function cachesPrefixes(served: BuiltFleet['served'][number]): boolean {
  const tokens = served.spec.tokens;
  return 'system_prompts' in tokens && tokens.system_prompts !== undefined && served.batching.prefix_caching;
}

/**
 * The prefix-cache hit rate per model and window of the time series: at each window's end, the
 * growth of the replicas' cached and brought prompt tokens since the last sample. The replicas'
 * counters restart at the end of warm-up (beforeReset keeps what they had counted in the window).
 * Cost: one pass over the model's replicas per window.
 */
export class PrefixSeriesSampler {
  private readonly clusters: GpuCluster[][];
  private readonly last: Float64Array;
  private readonly pending: Float64Array;

  private constructor(private readonly series: TimeSeries, fleet: BuiltFleet, served: BuiltFleet['served']) {
    this.clusters = served.map((s) => fleet.gpuClusters.filter((c) => c.served === s));
    this.last = new Float64Array(2 * served.length);
    this.pending = new Float64Array(2 * served.length);
    series.trackPrefixModels(served.map((s) => s.name));
  }

  /** A sampler for the fleet's caching models, or null when none caches. */
  static of(series: TimeSeries, fleet: BuiltFleet): PrefixSeriesSampler | null {
    const served = fleet.served.filter(cachesPrefixes);
    return served.length === 0 ? null : new PrefixSeriesSampler(series, fleet, served);
  }

  /** Cached and brought (cached + prefilled) prompt tokens of model m's replicas since their last reset. */
  private totals(m: number): [number, number] {
    let cached = 0, prefilled = 0;
    for (const c of this.clusters[m]) {
      for (const r of c.replicas) {
        const st = r.stats();
        cached += st.cached_prompt_tokens;
        prefilled += st.prefill_tokens;
      }
    }
    return [cached, cached + prefilled];
  }

  /** Window i has ended: records each model's tokens in it. */
  sample(i: number): void {
    for (let m = 0; m < this.clusters.length; m++) {
      const [cached, brought] = this.totals(m);
      const k = 2 * m;
      this.series.samplePrefix(i, m, this.pending[k] + cached - this.last[k], this.pending[k + 1] + brought - this.last[k + 1]);
      this.pending[k] = this.pending[k + 1] = 0;
      this.last[k] = cached;
      this.last[k + 1] = brought;
    }
  }

  /** The replicas' counters are about to restart from zero. */
  beforeReset(): void {
    for (let m = 0; m < this.clusters.length; m++) {
      const [cached, brought] = this.totals(m);
      const k = 2 * m;
      this.pending[k] += cached - this.last[k];
      this.pending[k + 1] += brought - this.last[k + 1];
      this.last[k] = this.last[k + 1] = 0;
    }
  }
}
