import type { Prepared } from '../scenario/prepare.ts';
import { stationLoads, type TierLoad } from '../fleet/stations/capacity.ts';
import { fleetLoads } from '../fleet/llm/capacity.ts';
import { servedArchitecture } from '../fleet/llm/build.ts';
import { knownBias } from '../perf/model-error.ts';
import { getGpu } from '../perf/lookup.ts';
import { weightDtypeFor } from '../perf/checkpoint-dtype.ts';
import { makeArrivals } from '../workload/arrivals.ts';

/** The analytical capacity check: offered load against capacity per tier, at the mean and the peak arrival rate. */
export interface CapacityLoads {
  mean_rate_per_s: number;
  peak_rate_per_s: number;
  loads: (TierLoad & { peak_utilization: number })[];
}

export function capacityLoads(prep: Prepared): CapacityLoads {
  const sc = prep.scenario;
  const source = makeArrivals(sc.workload.arrivals, () => 0.5, prep.trace);
  const horizon_ms = sc.duration_s * 1000;
  const rate = source.meanRatePerS(horizon_ms);
  const peakRatio = rate > 0 ? source.peakRatePerS(horizon_ms) / rate : 1;
  const loads = sc.fleet ? fleetLoads(prep, rate) : stationLoads(sc, rate);
  return { mean_rate_per_s: rate, peak_rate_per_s: rate * peakRatio, loads: loads.map((l) => ({ ...l, peak_utilization: l.utilization * peakRatio })) };
}

/** What fleetsim is known to misjudge among a fleet's served models and their GPUs (model-error.ts knownBias), one line each. */
export function servedModelBiases(prep: Prepared): string[] {
  const f = prep.scenario.fleet;
  if (!f) return [];
  return Object.entries(f.models).flatMap(([name, spec]) => {
    const model = servedArchitecture(name, spec, prep), gpu = getGpu(spec.gpu, `fleet.models.${name}.gpu`);
    const bias = knownBias(model, gpu, weightDtypeFor(model, gpu, spec.dtype, `fleet.models.${name}.dtype`), spec.engine);
    return bias ? [`fleet.models.${name}: ${bias}`] : [];
  });
}
