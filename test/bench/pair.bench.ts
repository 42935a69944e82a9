// Side by side in one process: this checkout and another (`-- --other DIR`, e.g. a git worktree
// of an older commit with node_modules linked) each build the full fleet of
// scenarios/openai-2024.yaml (fleet.scale=1, peak traffic), then advance in slices of simulated
// time, alternating which goes first, so both see the same phase of a VM whose speed drifts by
// +-30% over minutes. Each slice is timed in CPU time of this thread (process.cpuUsage: user +
// system), which other jobs on the machine inflate far less than wall time. Prints the ratio of
// the sums (this / other), the median of the per-slice ratios, and both sides' event and
// completion counts, which must agree when a change is not meant to move results.
// Run: npm run bench:pair -- --other /path/to/other/checkout [--from-s 40] [--to-s 100] [--slice-s 5]
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const { values } = parseArgs({
  options: {
    other: { type: 'string' },
    'from-s': { type: 'string', default: '40' },
    'to-s': { type: 'string', default: '100' },
    'slice-s': { type: 'string', default: '5' },
  },
});
if (!values.other) throw new Error('--other DIR: the checkout to compare with is required');
const from_s = Number(values['from-s']), to_s = Number(values['to-s']), slice_s = Number(values['slice-s']);
if (!(from_s >= 0 && to_s > from_s && slice_s > 0)) throw new Error('expected 0 <= --from-s < --to-s and --slice-s > 0');

interface Side {
  name: string;
  run: { advance(until_ms: number): string; finish(stop: string): { events: number; counts: { completed: number } } };
  cpu_s: number[];
}

/** Loads a checkout's scenario loader and run API and starts the full fleet (not timed). */
async function start(name: string, root: string): Promise<Side> {
  const at = (file: string) => pathToFileURL(resolve(root, file)).href;
  const { loadScenario } = await import(at('src/scenario/load.ts'));
  // prepare() moved from experiment/ to scenario/ on 2026-12-03 (layers): either place
  const { prepare } = await import(at('src/scenario/prepare.ts')).catch(() => import(at('src/experiment/prepare.ts')));
  const { startRun } = await import(at('src/experiment/simulate.ts'));
  const loaded = loadScenario(resolve(root, 'scenarios/openai-2024.yaml'), ['fleet.scale=1', `duration_s=${to_s}`, 'warmup_s=0']);
  return { name, run: startRun(prepare(loaded), 1), cpu_s: [] };
}

function timedSlice(side: Side, until_ms: number): void {
  const before = process.cpuUsage();
  side.run.advance(until_ms);
  const used = process.cpuUsage(before);
  side.cpu_s.push((used.user + used.system) / 1e6);
}

const here = await start('this', process.cwd());
const other = await start('other', values.other);
// Unmeasured warm-up to from_s: queues fill and the JIT settles.
here.run.advance(from_s * 1000);
other.run.advance(from_s * 1000);
let k = 0;
for (let t = from_s + slice_s; t <= to_s + 1e-9; t += slice_s, k++) {
  const order = k % 2 === 0 ? [here, other] : [other, here];
  for (const side of order) timedSlice(side, t * 1000);
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const ratios = here.cpu_s.map((c, i) => c / other.cpu_s[i]).sort((a, b) => a - b);
const a = here.run.finish('until'), b = other.run.finish('until');
console.log(`full fleet, ${from_s}-${to_s} simulated s in ${k} slices of ${slice_s} s, alternating; node ${process.version}`);
console.log(`CPU s: this ${sum(here.cpu_s).toFixed(2)}, other ${sum(other.cpu_s).toFixed(2)}: ratio ${(sum(here.cpu_s) / sum(other.cpu_s)).toFixed(3)}, median slice ratio ${ratios[ratios.length >> 1].toFixed(3)}`);
console.log(`events: this ${a.events}, other ${b.events}; completed: this ${a.counts.completed}, other ${b.counts.completed}${a.events === b.events && a.counts.completed === b.counts.completed ? ' (identical)' : ' (DIFFERENT)'}`);
