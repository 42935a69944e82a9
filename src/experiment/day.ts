import type { Prepared } from '../scenario/prepare.ts';
import { defaultWindowMs, simulate } from './simulate.ts';
import { summarizeRun, type Summary } from '../results/summary.ts';
import { sloAttainment } from '../results/control-summary.ts';

/** The day run twice on the same seed: autoscaled as the scenario says, and with the fixed (configured) fleet. */
export function compareDay(prep: Prepared, seed = prep.scenario.seed): { autoscaled: Summary; fixed: Summary; fixed_slo_attainment: ReturnType<typeof sloAttainment> } {
  const sc = prep.scenario;
  const window = defaultWindowMs(sc.duration_s, sc.window_s);
  const autoscaled = summarizeRun(prep, simulate(prep, seed), window);
  const fixedPrep: Prepared = { ...prep, scenario: { ...sc, control: undefined } };
  const fixedRun = simulate(fixedPrep, seed);
  const fixed = summarizeRun(fixedPrep, fixedRun, window);
  return { autoscaled, fixed, fixed_slo_attainment: sloAttainment(fixedRun) };
}
