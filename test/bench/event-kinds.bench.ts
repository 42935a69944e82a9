// Events per kind: the full fleet of scenarios/openai-2024.yaml (fleet.scale=1, peak traffic)
// with every registered handler wrapped in a counter, so the count of each kind of event (named
// by the handler's source text) and the events per completed request are printed. Counts do not
// depend on the machine's load; the wrapping slows the run, so time is not reported.
// Run: node --import tsx test/bench/event-kinds.bench.ts [--from-s 60] [--to-s 90] [--scenario FILE]
import { parseArgs } from 'node:util';
import { Simulator } from '../../src/engine/sim.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { startRun } from '../../src/experiment/simulate.ts';
import { ClientLayer } from '../../src/fleet/client.ts';

const { values } = parseArgs({
  options: {
    'from-s': { type: 'string', default: '60' },
    'to-s': { type: 'string', default: '90' },
    scenario: { type: 'string', default: 'scenarios/openai-2024.yaml' },
    scale: { type: 'string', default: '1' },
  },
});
const from_s = Number(values['from-s']), to_s = Number(values['to-s']);
if (!(from_s >= 0 && to_s > from_s)) throw new Error('expected 0 <= --from-s < --to-s');

const kinds = new Map<string, { count: number }>();
const originalOn = Simulator.prototype.on;
Simulator.prototype.on = function (handler) {
  const name = handler.toString().replace(/\s+/g, ' ').slice(0, 60);
  let kind = kinds.get(name);
  if (kind === undefined) kinds.set(name, (kind = { count: 0 }));
  const counter = kind;
  return originalOn.call(this, (payload: number) => {
    counter.count++;
    handler(payload);
  });
};

// Completed attempts, counted where every attempt leaves (the client).
let completedAttempts = 0;
const originalFinish = ClientLayer.prototype.finish;
ClientLayer.prototype.finish = function (req, outcome, t_ms) {
  if (outcome === 'completed') completedAttempts++;
  originalFinish.call(this, req, outcome, t_ms);
};

const loaded = loadScenario(values.scenario!, [`fleet.scale=${values.scale}`, `duration_s=${to_s}`, 'warmup_s=0']);
const run = startRun(prepare(loaded), 1);
run.advance(from_s * 1000);
const before = new Map([...kinds].map(([name, k]) => [name, k.count]));
const completedBefore = completedAttempts;
run.advance(to_s * 1000);
const completed = completedAttempts - completedBefore;
const rows = [...kinds].map(([name, k]) => ({ name, events: k.count - (before.get(name) ?? 0) })).filter((r) => r.events > 0).sort((a, b) => b.events - a.events);
const total = rows.reduce((s, r) => s + r.events, 0);
console.log(`${values.scenario} scale ${values.scale}, ${from_s}-${to_s} simulated s: ${total.toLocaleString('en-US')} events, ${completed.toLocaleString('en-US')} completed, ${(total / completed).toFixed(2)} events per completed request`);
for (const r of rows) console.log(`${(r.events / completed).toFixed(3).padStart(7)} per completed  ${r.events.toLocaleString('en-US').padStart(12)}  ${r.name}`);
