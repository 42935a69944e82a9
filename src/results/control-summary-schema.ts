import { z } from 'zod';
import type { DeployRecord, ScalingEvent } from '../fleet/control/record.ts';
import { nullableNumber, replicated, type Agrees } from './summary-schema-parts.ts';

/**
 * The `control` block of summary.json (results/control-summary.ts builds it), declared once for
 * the `ControlSummary` type and the published JSON Schema (results/summary-schema.ts).
 */

const ScalingEventSchema = z.strictObject({ t_s: z.number(), component: z.string(), from: z.number(), to: z.number(), reason: z.string() });

const ArmFiguresSchema = z.strictObject({ requests: z.number(), error_rate: z.number(), e2e_p99_ms: nullableNumber(), ttft_p99_ms: nullableNumber() });

const RolloutStepSchema = z.strictObject({
  step: z.number(),
  share: z.number(),
  start_s: z.number(),
  end_s: z.number(),
  canary: ArmFiguresSchema,
  stable: ArmFiguresSchema,
  verdict: z.enum(['pass', 'fail', 'too_few_requests']),
  breached: z.array(z.string()).optional(),
});

const DeployRecordSchema = z.strictObject({
  index: z.number(),
  kind: z.string(),
  target: z.string(),
  start_s: z.number(),
  end_s: nullableNumber(),
  outcome: z.enum(['completed', 'rolled_back', 'in_progress', 'running']),
  restarted: z.number().optional().describe('Rolling update: replicas restarted.'),
  min_serving_fraction: z.number().optional().describe('Rolling update: the least serving capacity seen (fraction of desired).'),
  switched_s: nullableNumber().optional().describe('Blue-green: when traffic switched to the new set.'),
  steps: z.array(RolloutStepSchema).optional().describe("Canary: every step's per-arm figures and verdict."),
  rolled_back_at_step: nullableNumber().optional(),
  rolled_back_at_share: nullableNumber().optional(),
  arms: z
    .record(
      z.string(),
      z.strictObject({
        requests: z.number(),
        error_rate: z.number(),
        e2e_p50_ms: nullableNumber(),
        e2e_p99_ms: nullableNumber(),
        ttft_p99_ms: nullableNumber(),
        replica_hours: z.number(),
        monthly_usd: z.number(),
        usd_per_1k_requests: nullableNumber(),
      }),
    )
    .optional()
    .describe('A/B and canary: per-arm latency, errors and cost.'),
});

const ComponentSchema = replicated({
  fixed_instances: z.number(),
  mean_instances: z.number(),
  mean_serving: z.number(),
  min_serving: z.number(),
  max_instances: z.number(),
  instance_hours: z.number().describe('Hours of the (uncompressed) day the run stands for.'),
  fixed_instance_hours: z.number(),
  scaling_events: z.number(),
  cold_starts: z.number(),
  cold_start_s_mean: nullableNumber(),
});

const BillSchema = replicated({
  fixed_monthly_usd: z.number(),
  autoscaled_monthly_usd: z.number(),
  saving_usd: z.number(),
  saving_pct: z.number(),
  by_component: z.record(z.string(), replicated({ fixed_monthly_usd: z.number(), autoscaled_monthly_usd: z.number(), usage_ratio: z.number() })),
});

const SloAttainmentSchema = replicated({ e2e_p99_ms: z.number(), e2e_p99_measured_ms: nullableNumber(), attainment: z.number(), met: z.boolean() });

export const ControlSummarySchema = replicated({
  time_compression: z.number(),
  interval_s: z.number(),
  note: z.string(),
  components: z.record(z.string(), ComponentSchema),
  cold_starts: z.number(),
  events: z.array(ScalingEventSchema).describe('The first 1,000 scaling events (events_total counts them all).'),
  events_total: z.number(),
  series: z.strictObject({ t_s: z.array(z.number()), instances: z.record(z.string(), z.array(z.number())), serving: z.record(z.string(), z.array(z.number())) }),
  deploys: z.array(DeployRecordSchema),
  bill: BillSchema.optional().describe('The fixed bill and the autoscaled one, per component (fleet scenarios).'),
  slo_attainment: z
    .record(z.string(), SloAttainmentSchema)
    .optional()
    .describe('Per model: its SLO target and the share of its requests that met it (completed within the target).'),
});

/** Compile-time agreement, both ways, with the records the control plane writes (fleet/control/record.ts). */
const agreements: [Agrees<z.infer<typeof ScalingEventSchema>, ScalingEvent>, Agrees<z.infer<typeof DeployRecordSchema>, DeployRecord>] = [true, true];
void agreements;
