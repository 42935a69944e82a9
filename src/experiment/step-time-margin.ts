import { loadScenario } from '../scenario/load.ts';
import { MAX_STEP_TIME_FACTOR } from '../fleet/schema.ts';
import { STEP_MODEL_THROUGHPUT_ERROR } from '../perf/model-error.ts';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';

/**
 * `plan --step-time-margin`: plan for GPUs slower than the step model reads them. The step model's
 * throughput is within STEP_MODEL_THROUGHPUT_ERROR (22%) of published measurements four times in
 * five, so the cheapest fleet that meets an SLO at the model's own speed may miss it on the real
 * GPUs; a margin of 0.22 sizes the fleet that holds when every step takes 1.22 times the model's.
 * It multiplies each served model's `step_time_factor` (1 when left out) by 1 + margin, through
 * the same --set overrides a user would write, so the chosen scenario carries it and replays alike.
 */
export const MAX_STEP_TIME_MARGIN = 1;

export function parseStepTimeMargin(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0 || x > MAX_STEP_TIME_MARGIN) {
    throw new UserError(`--step-time-margin ${excerpt(v)}: expected a fraction from 0 to ${MAX_STEP_TIME_MARGIN} (${STEP_MODEL_THROUGHPUT_ERROR}: the step model's throughput error four times in five)`);
  }
  return x;
}

/** The --set overrides that put the margin on every served model of the scenario as loaded with `sets`. */
export function stepTimeMarginSets(file: string, sets: readonly string[], margin: number): string[] {
  if (margin === 0) return [];
  const fleet = loadScenario(file, sets).scenario.fleet;
  if (!fleet) throw new UserError(`--step-time-margin: ${file} has no fleet: section, so no GPU step to put a margin on`);
  return Object.entries(fleet.models).map(([name, spec]) => {
    const factor = Number(((spec.step_time_factor ?? 1) * (1 + margin)).toPrecision(12));
    if (factor > MAX_STEP_TIME_FACTOR) {
      throw new UserError(`--step-time-margin ${margin}: fleet.models.${name}.step_time_factor would be ${factor}, above ${MAX_STEP_TIME_FACTOR}`);
    }
    return `fleet.models.${name}.step_time_factor=${factor}`;
  });
}

/** The line a plan's reader sees first when it was made with a margin. */
export function stepTimeMarginNote(margin: number): string {
  return `every GPU step at ${Number((1 + margin).toPrecision(6))}x the step model's time (--step-time-margin ${margin}): ` +
    `the fleet holds its SLOs if fleetsim reads the GPUs ${Math.round(margin * 100)}% fast`;
}
