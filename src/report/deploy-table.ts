import type { Summary } from '../results/summary.ts';
import { fmt } from './table.ts';

type Deploy = NonNullable<Summary['control']>['deploys'][number];
type Step = NonNullable<Deploy['steps']>[number];
type Arm = NonNullable<Deploy['arms']>[string];

const share = (x: number) => `${fmt(x * 100)}%`;
const ms = (x: number | null) => (x === null ? '-' : `${fmt(x)} ms`);

/** A canary step's figures: what its verdict was judged on. */
function stepFigures(step: Step): string {
  const c = step.canary;
  return `${fmt(c.requests)} canary requests, e2e p99 ${ms(c.e2e_p99_ms)}, TTFT p99 ${ms(c.ttft_p99_ms)}, errors ${share(c.error_rate)}`;
}

/**
 * A canary's outcome in words. A step held without a verdict when the run ends is said to be held
 * (its record's outcome stays in_progress): a reader of "in progress" alone could take the canary
 * for healthy and merely slow.
 */
function canaryOutcome(d: Deploy): string {
  const steps = d.steps ?? [];
  const last = steps.at(-1);
  if (d.outcome === 'completed') return `promoted at ${fmt(d.end_s)} s after ${steps.length} steps`;
  if (d.outcome === 'rolled_back' && last) {
    const why = last.verdict === 'too_few_requests' ? 'no verdict, too few canary requests' : (last.breached ?? []).join('; ');
    return `rolled back at ${fmt(d.end_s)} s, step ${last.step + 1} (${share(last.share)}): ${why}`;
  }
  if (!last) return "not started when the run ended: arm B's replicas still booting";
  if (last.verdict === 'too_few_requests') return `held without a verdict when the run ended, step ${last.step + 1} (${share(last.share)}): too few canary requests (${stepFigures(last)})`;
  return `step ${last.step + 1} of ${steps.length} passed; the next still baking or booting when the run ended`;
}

/** The arms of an A/B (or canary) deploy side by side. */
function armsText(arms: Record<string, Arm>): string {
  return Object.entries(arms)
    .map(([name, a]) => `arm ${name.toUpperCase()}: ${fmt(a.requests)} requests, e2e p99 ${ms(a.e2e_p99_ms)}, TTFT p99 ${ms(a.ttft_p99_ms)}, errors ${share(a.error_rate)}, $${fmt(a.monthly_usd)}/month`)
    .join('; ');
}

/** What became of one deploy, in words. */
export function deployOutcome(d: Deploy): string {
  switch (d.kind) {
    case 'canary':
      return canaryOutcome(d);
    case 'ab':
      return d.arms ? `ran for the rest of the run: ${armsText(d.arms)}` : 'ran for the rest of the run';
    case 'blue-green':
      return d.outcome === 'completed' ? `switched at ${fmt(d.switched_s ?? d.end_s)} s` : 'not switched when the run ended: the green set still booting';
    default: {
      const detail = `${fmt(d.restarted ?? 0)} replicas restarted, least serving ${share(d.min_serving_fraction ?? 1)} of desired`;
      return d.outcome === 'completed' ? `completed at ${fmt(d.end_s)} s; ${detail}` : `in progress when the run ended; ${detail}`;
    }
  }
}

/** One row per deploy of the control plane: kind, target, start and what became of it. */
export function deployRows(s: Summary): { header: string[]; rows: string[][] } | undefined {
  const deploys = s.control?.deploys ?? [];
  if (deploys.length === 0) return undefined;
  return {
    header: ['deploy', 'target', 'at s', 'outcome'],
    rows: deploys.map((d) => [d.kind, d.target, fmt(d.start_s), deployOutcome(d)]),
  };
}
