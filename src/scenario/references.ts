import { didYouMean } from '../util/did-you-mean.ts';
import { excerpt, listNames } from '../util/excerpt.ts';
import { SEED_MAX } from '../util/limits.ts';
import type { Scenario } from './schema.ts';
import { gpusPerReplica, type FleetSpec } from '../fleet/schema.ts';

type Topology = NonNullable<Scenario['topology']>;

/** Checks what the schema cannot: names that refer to other entries, and sums. Returns a message or undefined. */
export function checkReferences(s: Scenario): string | undefined {
  if (s.warmup_s >= s.duration_s) return `warmup_s: expected less than duration_s (${s.duration_s}), got ${s.warmup_s}`;
  // Replication i runs with seed + i: the last must still be a distinct seed (util/limits.ts).
  // Compared as a difference: seed + replications could round to a double below the bound.
  if (s.replications - 1 > SEED_MAX - s.seed) return `seed: expected seed + replications - 1 < 2^53, got ${s.seed} with ${s.replications} replications`;
  if ((s.topology === undefined) === (s.fleet === undefined)) return '(top level): expected exactly one of "topology" (a station network) or "fleet" (an LLM fleet)';
  if (s.fleet) return checkFleetReferences(s.fleet);
  return checkTopologyReferences(s.topology!);
}

function sumsToOne(xs: number[]): boolean {
  return Math.abs(xs.reduce((a, b) => a + b, 0) - 1) < 1e-6;
}

function checkFleetReferences(f: FleetSpec): string | undefined {
  const models = Object.keys(f.models);
  const shares = Object.values(f.models).map((m) => m.share);
  if (!sumsToOne(shares)) return `fleet.models: expected shares that sum to 1, got ${Number(shares.reduce((a, b) => a + b, 0).toFixed(6))}`;
  const regions = Object.entries(f.regions);
  if (!sumsToOne(regions.map(([, r]) => r.traffic_share))) return 'fleet.regions: expected traffic_share values that sum to 1';
  if (!sumsToOne(regions.map(([, r]) => r.capacity_share))) return 'fleet.regions: expected capacity_share values that sum to 1';
  for (const [name, m] of Object.entries(f.models)) {
    const to = m.router.spill_to;
    if (to !== undefined && (!models.includes(to) || to === name)) {
      return `fleet.models.${name}.router.spill_to: expected another served model (${listNames(models.filter((x) => x !== name))}), got "${excerpt(to)}"${didYouMean(to, models)}`;
    }
    const perReplica = gpusPerReplica(m);
    if (m.gpus % perReplica !== 0) return `fleet.models.${name}.gpus: expected a multiple of ${m.ep > 1 ? 'ep' : 'tp'} (${perReplica}), got ${m.gpus}`;
  }
  return undefined;
}

function checkTopologyReferences(t: Topology): string | undefined {
  const s = { topology: t };
  const names = Object.keys(s.topology.stations);
  const known = (n: string) => names.includes(n);
  const expectStation = (path: string, n: string) =>
    `${path}: expected a station name (${listNames(names)}), got "${excerpt(n)}"${didYouMean(n, names)}`;
  if (!known(s.topology.entry)) return expectStation('topology.entry', s.topology.entry);
  for (const [name, st] of Object.entries(s.topology.stations)) {
    const base = `topology.stations.${name}.next`;
    if (typeof st.next === 'string') {
      if (!known(st.next)) return expectStation(base, st.next);
    } else if (st.next) {
      let sum = 0;
      for (const [i, r] of st.next.entries()) {
        if (!known(r.to)) return expectStation(`${base}[${i}].to`, r.to);
        sum += r.p;
      }
      if (sum > 1 + 1e-9) return `${base}: expected probabilities that sum to at most 1, got ${Number(sum.toFixed(9))}`;
    }
    const sv = st.service_ms;
    if (sv.dist === 'pareto' && sv.shape <= 1) return `topology.stations.${name}.service_ms.shape: expected > 1 (finite mean), got ${sv.shape}`;
  }
  return undefined;
}
