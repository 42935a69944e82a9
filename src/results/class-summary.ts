import type { z } from 'zod';
import { jainIndex, type RequestClasses } from '../fleet/classes.ts';
import type { ClassesSummarySchema, ClassSummarySchema } from './summary-schema.ts';
import { round } from './round.ts';
import { roundLatency } from './fleet-summary.ts';
import { batchFigures, classBills, type FleetFigures } from './class-bill.ts';

/**
 * The `classes` block of summary.json (declared in summary-schema.ts; request classes:
 * src/fleet/classes.ts, docs/priorities.md): per class its requests, TTFT/TPOT/e2e percentiles,
 * goodput and SLO attainment; per tenant its totals; Jain's fairness index over the classes'
 * normalised throughput.
 */

export type ClassSummary = z.infer<typeof ClassSummarySchema>;
export type ClassesSummary = z.infer<typeof ClassesSummarySchema>;

/** The classes block of one run over measured_s seconds. */
export function summarizeClasses(classes: RequestClasses, measured_s: number, fleet?: FleetFigures): ClassesSummary {
  const by_class: Record<string, ClassSummary> = {};
  // the bill and carbon by class appear once some class is a batch class (the default summary keeps its bytes)
  const bills = fleet && classes.isBatch.includes(1) ? classBills(classes, fleet) : null;
  const by_tenant: NonNullable<ClassesSummary['by_tenant']> = {};
  const normalised: number[] = [];
  classes.names.forEach((name, i) => {
    const spec = classes.spec[name];
    const m = classes.metrics[i];
    const c = m.counts;
    // a class that received no request has no share of its demand served, nor attainment: null,
    // and it stays out of Jain's index (counting it as 0 called it starved)
    const received = c.offered > 0;
    const share = received ? c.completed / c.offered : null;
    if (share !== null) normalised.push(share);
    const book = classes.books[i];
    by_class[name] = {
      priority: classes.priority[i],
      share: spec.share,
      ...(spec.tenant ? { tenant: spec.tenant } : {}),
      offered: c.offered, completed: c.completed, failed: c.failed, rejected: c.rejected, timed_out: c.timed_out,
      normalised_throughput: share === null ? null : round(share),
      goodput_per_s: round(m.good_in_window / measured_s),
      slo_attainment: received ? round(c.completed > 0 ? Math.min(1, m.good / c.completed) : 0) : null,
      latency_ms: { ttft: roundLatency(m.ttft.summary()), tpot: roundLatency(m.tpot.summary()), e2e: roundLatency(m.e2e.summary()) },
      ...(spec.slo ? { slo: spec.slo } : {}),
      ...(spec.weight !== undefined ? { gateway_weight: spec.weight } : {}),
      ...(book ? { batch: batchFigures(book, classes.dispatchers[i]) } : {}),
      ...(bills ? { bill: bills[i] } : {}),
    };
    if (spec.tenant) {
      const t = (by_tenant[spec.tenant] ??= { offered: 0, completed: 0, goodput_per_s: 0 });
      t.offered += c.offered;
      t.completed += c.completed;
      t.goodput_per_s = round(t.goodput_per_s + m.good_in_window / measured_s);
    }
  });
  return { by_class, ...(Object.keys(by_tenant).length > 0 ? { by_tenant } : {}), fairness_jain: normalised.length > 0 ? round(jainIndex(normalised)) : null };
}
