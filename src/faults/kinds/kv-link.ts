import { z } from 'zod';
import { UserError } from '../../errors.ts';
import { excerpt, listNames } from '../../util/excerpt.ts';
import { prob } from '../../util/zod-helpers.ts';
import type { DisaggregatedRoute } from '../../fleet/llm/disaggregated.ts';
import type { FaultContext, FaultKind } from '../types.ts';
import { common } from './common.ts';

/**
 * The KV links of a disaggregated model degrade to `bandwidth_fraction` of their bandwidth (0: they
 * fail) for duration_s: transfers queue longer, so time per output token grows; a failed link
 * fails what it carries and every request whose prefill ends while it is down. Target: the model
 * as `gpu:<model>` or `gpu:<model>/<region>` (docs/disaggregation.md).
 */
export const kvLinkSchema = z.strictObject({
  ...common('kv-link'),
  bandwidth_fraction: prob().default(0),
});

/** The disaggregated route a target names and the region index it narrows to (-1: all). */
function routeOf(ctx: FaultContext, target: string | undefined, where: string): { route: DisaggregatedRoute; region: number } {
  const models = ctx.pipeline?.models ?? [];
  const names = models.filter((m) => m.disaggregated).map((m) => `gpu:${m.name}`);
  const [model, region] = (target ?? '').replace(/^gpu:/, '').split('/');
  const route = models.find((m) => m.name === model)?.disaggregated;
  const r = region === undefined ? -1 : ctx.regions.indexOf(region);
  if (!route || (region !== undefined && r < 0)) {
    throw new UserError(`${where}.target: expected a disaggregated model (${names.length > 0 ? listNames(names) : 'none in this fleet'}), optionally gpu:model/region, got "${excerpt(target ?? '')}"`);
  }
  return { route, region: r };
}

export const kvLink: FaultKind<z.infer<typeof kvLinkSchema>> = {
  kind: 'kv-link',
  apply(ctx, f, index) {
    const { route, region } = routeOf(ctx, f.target, `faults[${index}]`);
    const end = f.at_s + f.duration_s;
    ctx.at(f.at_s, () => route.setLinkCondition(region, f.bandwidth_fraction));
    ctx.at(end, () => route.setLinkCondition(region, 1));
    return { index, kind: f.kind, target: f.target!, start_s: f.at_s, detected_s: null, mitigated_s: null, end_s: end, recovered_s: end };
  },
};
