// Engine benchmark: M/M/10 at rho 0.9 for 1,000,000 customers through the real run path
// (scenario validation, arrivals, station, sketches, time series). Prints customers/s, events/s.
// Run: npm run bench:engine
import { validateScenario } from '../../src/scenario/load.ts';
import { simulate } from '../../src/experiment/simulate.ts';

const CUSTOMERS = 1_000_000;
const RATE_PER_S = 9;
const scenario = validateScenario(
  {
    name: 'bench-mm10',
    duration_s: CUSTOMERS / RATE_PER_S,
    workload: { arrivals: { kind: 'poisson', rate_per_s: RATE_PER_S } },
    topology: { entry: 'api', stations: { api: { servers: 10, service_ms: { dist: 'exponential', mean: 1000 } } } },
  },
  'bench',
);

const results: { customers_per_s: number; events_per_s: number; wall_s: number }[] = [];
for (let run = 0; run < 7; run++) {
  const r = simulate({ scenario, file: 'bench' }, run + 1);
  results.push({ customers_per_s: r.counts.offered / r.wall_s, events_per_s: r.events / r.wall_s, wall_s: r.wall_s });
}
results.sort((a, b) => a.customers_per_s - b.customers_per_s);
const median = results[Math.floor(results.length / 2)];
const best = results[results.length - 1];
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
console.log(`M/M/10 rho 0.9, ${fmt(CUSTOMERS)} customers, 7 runs (first includes JIT warm-up)`);
console.log(`range:  ${fmt(results[0].customers_per_s)} .. ${fmt(best.customers_per_s)} customers/s`);
console.log(`median: ${fmt(median.customers_per_s)} customers/s, ${fmt(median.events_per_s)} events/s, ${median.wall_s.toFixed(3)} s`);
console.log(`best:   ${fmt(best.customers_per_s)} customers/s, ${fmt(best.events_per_s)} events/s`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; node ${process.version}`);
