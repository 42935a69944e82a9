import { didYouMean } from '../util/did-you-mean.ts';
import type { Scenario } from './schema.ts';

/** Checks what the schema cannot: names that refer to other entries, and sums. Returns a message or undefined. */
export function checkReferences(s: Scenario): string | undefined {
  if (s.warmup_s >= s.duration_s) return `warmup_s: expected less than duration_s (${s.duration_s}), got ${s.warmup_s}`;
  const names = Object.keys(s.topology.stations);
  const known = (n: string) => names.includes(n);
  const expectStation = (path: string, n: string) =>
    `${path}: expected a station name (${names.join(', ')}), got "${n}"${didYouMean(n, names)}`;
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
