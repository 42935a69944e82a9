// Event-queue benchmark on the full fleet's own event stream: the pushes, pops and cancels of
// scenarios/openai-2024.yaml at full size (fleet.scale=1, peak traffic) over its first
// `--record-s` simulated seconds are recorded once, then replayed against each queue
// implementation in alternating rounds, timed in CPU time (process.cpuUsage), so that the queue's
// cost is measured apart from the rest of the simulation and the machine's drift hits all sides
// alike. Every replay's pop order is checked against the binary heap's.
// Run: node --import tsx test/bench/queue.bench.ts [--record-s 20] [--rounds 5]
import { parseArgs } from 'node:util';
import { EventQueue } from '../../src/engine/heap.ts';
import { CalendarQueue } from '../../src/engine/calendar-queue.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { startRun } from '../../src/experiment/simulate.ts';

const { values } = parseArgs({ options: { 'record-s': { type: 'string', default: '20' }, rounds: { type: 'string', default: '5' } } });
const record_s = Number(values['record-s']), rounds = Number(values.rounds);
if (!(record_s > 0 && rounds >= 1)) throw new Error('expected --record-s > 0 and --rounds >= 1');

/** What a queue must do for the simulator. */
interface Queue {
  push(time: number, handler: number, payload: number): number;
  popUntil(limit: number): boolean;
  cancel(token: number): boolean;
  readonly payload: number;
}

// Recorded operations: 0 push (value: time), 1 pop (value: limit), 2 cancel (value: index of the push).
const OP_PUSH = 0, OP_POP = 1, OP_CANCEL = 2;
let kinds = new Uint8Array(1 << 20), vals = new Float64Array(1 << 20), n = 0, pushes = 0;
const tokenToPush = new Map<number, number>();
function log(kind: number, value: number): void {
  if (n === kinds.length) {
    const k = new Uint8Array(2 * n), v = new Float64Array(2 * n);
    k.set(kinds);
    v.set(vals);
    kinds = k;
    vals = v;
  }
  kinds[n] = kind;
  vals[n++] = value;
}
// the simulator's queue (the calendar queue) is the one recorded
const proto = CalendarQueue.prototype;
const { push, popUntil, cancel } = proto;
proto.push = function (time, handler, payload) {
  const token = push.call(this, time, handler, payload);
  tokenToPush.set(token, pushes++);
  log(OP_PUSH, time);
  return token;
};
proto.popUntil = function (limit) {
  const popped = popUntil.call(this, limit);
  if (popped) log(OP_POP, limit);
  return popped;
};
proto.cancel = function (token) {
  const cancelled = cancel.call(this, token);
  if (cancelled) log(OP_CANCEL, tokenToPush.get(token)!);
  return cancelled;
};
const loaded = loadScenario('scenarios/openai-2024.yaml', ['fleet.scale=1', `duration_s=${record_s}`, 'warmup_s=0']);
const run = startRun(prepare(loaded), 1);
run.advance(record_s * 1000);
Object.assign(proto, { push, popUntil, cancel });
tokenToPush.clear();

/** Replays the recorded operations; returns CPU seconds and a hash of the pop order (the payload is the push's index). */
function replay(q: Queue): { cpu_s: number; hash: number } {
  const tokens = new Float64Array(pushes);
  let p = 0, hash = 0;
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const kind = kinds[i];
    if (kind === OP_PUSH) {
      tokens[p] = q.push(vals[i], 0, p);
      p++;
    } else if (kind === OP_POP) {
      if (!q.popUntil(vals[i])) throw new Error(`replay: pop ${i} found nothing`);
      hash = (Math.imul(hash, 31) + q.payload) | 0;
    } else q.cancel(tokens[vals[i]]);
  }
  const used = process.cpuUsage(before);
  return { cpu_s: (used.user + used.system) / 1e6, hash };
}

const sides: { name: string; make: () => Queue; cpu_s: number[] }[] = [
  { name: 'binary heap (EventQueue)', make: () => new EventQueue(1024), cpu_s: [] },
  { name: 'calendar queue (CalendarQueue)', make: () => new CalendarQueue(1024), cpu_s: [] },
];
const reference = replay(new EventQueue(1024)).hash;
for (let r = 0; r < rounds; r++) {
  for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
    const { cpu_s, hash } = replay(side.make());
    if (hash !== reference) throw new Error(`${side.name}: pop order differs from the binary heap's`);
    side.cpu_s.push(cpu_s);
  }
}
const pops = kinds.subarray(0, n).reduce((a, k) => a + (k === OP_POP ? 1 : 0), 0);
console.log(`full fleet, first ${record_s} simulated s: ${pushes.toLocaleString('en-US')} pushes, ${pops.toLocaleString('en-US')} pops, ${(n - pushes - pops).toLocaleString('en-US')} cancels; ${rounds} alternating rounds, CPU time; node ${process.version}`);
for (const side of sides) {
  const sorted = [...side.cpu_s].sort((a, b) => a - b);
  console.log(`${side.name}: median ${(sorted[sorted.length >> 1] * 1000).toFixed(1)} ms, best ${(sorted[0] * 1000).toFixed(1)} ms = ${((sorted[0] / pops) * 1e9).toFixed(1)} ns per event`);
}
