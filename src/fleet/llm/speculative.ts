import { UserError } from '../../errors.ts';
import { getModel } from '../../perf/lookup.ts';
import { buildSpeculativeStepModel, type SpeculativeSpec } from '../../perf/speculative.ts';
import type { StepModel, StepModelOptions } from '../../perf/step.ts';

/** A served model's step model under speculative decoding; `where` names the scenario field in errors. */
export function speculativeStep(opts: StepModelOptions, spec: SpeculativeSpec, where: string): StepModel {
  const draftModel = spec.draft_model === undefined ? undefined : getModel(spec.draft_model, `${where}.draft_model`);
  try {
    return buildSpeculativeStepModel({ ...opts, speculative: spec, draftModel }, where);
  } catch (e) {
    // the draft model does not fit beside the target, or leaves no KV cache
    if (e instanceof UserError && !e.message.startsWith(where)) throw new UserError(`${where}: ${e.message}`);
    throw e;
  }
}
