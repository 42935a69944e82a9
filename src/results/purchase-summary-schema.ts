import { z } from 'zod';
import { nullableNumber, replicated } from './summary-schema-parts.ts';

const ByCommitmentSchema = replicated({
  on_demand: z.number(),
  reserved_1y: z.number(),
  reserved_3y: z.number(),
  savings_plan: z.number(),
  capacity_block: z.number(),
  spot: z.number(),
}).describe('Monthly USD by commitment (full fleet, region factors applied).');

const PoolSpotRiskSchema = replicated({
  instance: z.string().describe("The pool's instance type."),
  interruption_band: z.string().describe('The Spot Instance Advisor band assumed for the pool\'s instance type, or "scenario" when the fault states its rate.'),
  interruptions_per_month: z.number(),
  spot_instances: z.number(),
  expected_replica_reclaims_per_month: z.number(),
  expected_away_share: z.number(),
  expected_reclaim_monthly_usd: z.number(),
});

const SpotRiskSchema = replicated({
  interruption_band: z.string().describe('The Spot Instance Advisor band assumed for the instance type (data/prices/purchase-options.json), or "scenario" when the fault states its rate; a disaggregated model\'s pools\' different bands joined by " / ".'),
  interruptions_per_month: z.number().describe('Share of spot instances reclaimed per month (expected; over a disaggregated model\'s pools, weighted by their spot instances).'),
  spot_instances: z.number().describe('Spot instances of the full fleet (spot share x instances).'),
  expected_replica_reclaims_per_month: z.number().describe('Full fleet, at the unaccelerated rate.'),
  replace: z.enum(['on_demand', 'wait']),
  expected_away_share: z.number().describe('Share of spot instance time away after reclaims (renewal: rate x away / (1 + rate x away); over a disaggregated model\'s pools, weighted by their spot instances).'),
  expected_reclaim_monthly_usd: z.number().describe('On-demand replacements cost this more (replace: on_demand), or spot hours not billed save it (negative, replace: wait).'),
  by_pool: z.record(z.string(), PoolSpotRiskSchema).optional().describe('A disaggregated model\'s expected figures per pool (prefill, decode), each on its own instance type.'),
  reclaims_simulated: z.number().describe('Spot reclaims in the run (simulated replicas; at the fault\'s accelerated rate).'),
  accelerate: z.number(),
  requests_failed: z.number().describe("The model's failed, timed-out and rejected requests in the run (every cause)."),
  slo_attainment: nullableNumber().describe("Share of the model's ended requests completed within its e2e SLO target; null without one."),
  error_budget_burn_rate: z.number().describe("The run's failure share over the error budget share (1 - slo.availability): 1 spends the budget exactly over its period."),
  expected_error_budget_burned_per_month: nullableNumber().describe('Failures per simulated reclaim x expected reclaims per month, over the month\'s error budget of the model; null when no reclaim was simulated.'),
});

const ModelPurchaseSchema = replicated({
  monthly_usd_by_commitment: ByCommitmentSchema,
  monthly_usd: z.number().describe('By commitment plus the expected cost of spot reclaims.'),
  all_on_demand_monthly_usd: z.number(),
  saved_usd: z.number().describe('All on-demand minus monthly_usd.'),
  spot: SpotRiskSchema.optional(),
});

export const PurchaseSummarySchema = replicated({
  prices_as_of: z.string().describe('Date of the commitment price fractions and bands shipped in data/prices/purchase-options.json.'),
  monthly_usd: z.number().describe('GPU bill of the models with a purchase mix.'),
  all_on_demand_monthly_usd: z.number(),
  saved_usd: z.number(),
  saved_pct: z.number(),
  by_model: z.record(z.string(), ModelPurchaseSchema),
}).describe('The purchase mix (fleet.models.<m>.purchase): the GPU bill by commitment against all on-demand, and the SLO risk of spot reclaims (docs/purchase-mix.md).');
