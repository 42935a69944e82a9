import { Simulator } from '../../src/engine/sim.ts';
import { LatencyStats } from '../../src/metrics/latency.ts';
import { GpuReplica, type ReplicaConfig, type ReplicaListener } from '../../src/fleet/gpu/replica.ts';
import { SlotPool } from '../../src/fleet/gpu/slot-pool.ts';
import type { StepModel } from '../../src/perf/step.ts';
import { emptyTimeline, ReferenceReplica, type ExternalEvent, type ReplicaCounters, type Timeline } from './replica.ts';

/**
 * Drives GpuReplica and the reference with the same external events and compares what each
 * reports for every request.
 */

export interface Run {
  timelines: Map<number, Timeline>;
  counters: ReplicaCounters;
  /** Every gap between consecutive output tokens of a request, sorted (GpuReplica's inter-token latency sink). */
  tokenGaps_ms: number[];
}

/** An inter-token latency sink that also keeps every value it is given. */
class RecordingLatency extends LatencyStats {
  readonly values: number[] = [];
  override addWeighted(value_ms: number, weight: number): void {
    for (let i = 0; i < weight; i++) this.values.push(value_ms);
    super.addWeighted(value_ms, weight);
  }
}

/**
 * GpuReplicas on one simulator and one shared SlotPool (as in a fleet), replica i under
 * `events[i]` (each sorted by time). Every external event is scheduled before the run, so at
 * equal times it comes before an iteration end, as in the reference. `tokens` installs the token
 * hook (which also turns decode fusion off: GpuReplica fuses only without debug hooks).
 */
export function runGpuReplicas(step: StepModel, cfg: ReplicaConfig, events: ExternalEvent[][], tokens: boolean): { runs: Run[]; slotsInUse: number } {
  const sim = new Simulator();
  const slots = new SlotPool(4);
  const runs = events.map((list) => {
    const timelines = new Map<number, Timeline>();
    const replica = new GpuReplica(sim, step, cfg, recordInto(timelines), slots);
    const itl = (replica.itl = new RecordingLatency());
    if (tokens) replica.debug = { token: (req, t_ms) => timelines.get(req)!.tokens.push(t_ms) };
    const handler = sim.on((i) => applyEvent(replica, timelines, list[i], sim.now_ms));
    list.forEach((e, i) => sim.at(e.t_ms, handler, i));
    return { timelines, replica, itl };
  });
  sim.run();
  // every request ended (done, refused or lost): its sequence record must be back in the pool
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  return { runs: runs.map(({ timelines, replica, itl }) => ({ timelines, counters: countersOf(replica), tokenGaps_ms: sorted(itl.values) })), slotsInUse: slots.inUse };
}

function countersOf(replica: GpuReplica): ReplicaCounters {
  const { iterations, preemptions, prefill_tokens, recompute_tokens, decode_tokens, output_tokens, completed } = replica.stats();
  return { iterations, preemptions, prefill_tokens, recompute_tokens, decode_tokens, output_tokens, completed };
}

function recordInto(timelines: Map<number, Timeline>): ReplicaListener {
  return {
    firstToken(req, t_ms) {
      timelines.get(req)!.first_token_ms = t_ms;
    },
    done(req, t_ms, preemptions, sched_delay_ms) {
      const timeline = timelines.get(req)!;
      timeline.done_ms = t_ms;
      timeline.preemptions = preemptions;
      // GpuReplica reports the delay, not the time: kept as the delay for the comparison
      timeline.admit_ms = sched_delay_ms;
    },
    rejected(req, t_ms, reason) {
      const timeline = timelines.get(req)!;
      timeline.rejected = reason;
      timeline.rejected_ms = t_ms;
    },
  };
}

function applyEvent(replica: GpuReplica, timelines: Map<number, Timeline>, e: ExternalEvent, now_ms: number): void {
  if (e.kind === 'arrive') {
    timelines.set(e.req, emptyTimeline(now_ms));
    if (replica.healthy) replica.submit(e.req, e.prompt, e.output);
    else timelines.get(e.req)!.lost_ms = now_ms; // the fleet would route it elsewhere
  } else if (e.kind === 'capacity') replica.setKvCapacityTokens(e.kv_tokens);
  else if (e.kind === 'fail') replica.fail(now_ms, (req) => (timelines.get(req)!.lost_ms = now_ms));
  else replica.restore();
}

export function runReference(step: StepModel, cfg: ReplicaConfig, events: ExternalEvent[]): Run {
  const reference = new ReferenceReplica(step, cfg);
  reference.run(events);
  const gaps: number[] = [];
  for (const t of reference.timelines.values()) for (let k = 1; k < t.tokens.length; k++) gaps.push(t.tokens[k] - t.tokens[k - 1]);
  return { timelines: reference.timelines, counters: reference.counters, tokenGaps_ms: gaps.sort((a, b) => a - b) };
}

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

/**
 * Every difference between the two runs' timelines (at most `limit`), as readable lines. Exact
 * equality: both sum the same step times in the same order. Admission is compared as GpuReplica
 * reports it, the scheduling delay of completed requests; preemptions likewise at completion.
 * Then the inter-token gaps (as multisets) and the replica's counters (ReplicaStats: iterations,
 * tokens, preemptions, completions).
 */
export function timelineDifferences(fast: Run, reference: Run, compareTokens: boolean, limit = 5): string[] {
  const out: string[] = [];
  const note = (req: number, field: string, f: unknown, r: unknown) => {
    if (out.length < limit) out.push(`request ${req}: ${field} GpuReplica ${String(f)}, reference ${String(r)}`);
  };
  for (const [req, r] of reference.timelines) {
    const f = fast.timelines.get(req);
    if (!f) {
      note(req, 'timeline', 'missing', 'present');
      continue;
    }
    if (!same(f.first_token_ms, r.first_token_ms)) note(req, 'first token ms', f.first_token_ms, r.first_token_ms);
    if (!same(f.done_ms, r.done_ms)) note(req, 'done ms', f.done_ms, r.done_ms);
    if (f.rejected !== r.rejected || !same(f.rejected_ms, r.rejected_ms)) note(req, 'rejection', `${f.rejected}@${f.rejected_ms}`, `${r.rejected}@${r.rejected_ms}`);
    if (!same(f.lost_ms, r.lost_ms)) note(req, 'lost ms', f.lost_ms, r.lost_ms);
    if (!Number.isNaN(r.done_ms)) {
      if (f.preemptions !== r.preemptions) note(req, 'preemptions', f.preemptions, r.preemptions);
      if (!same(f.admit_ms, r.admit_ms - r.submit_ms)) note(req, 'scheduling delay ms', f.admit_ms, r.admit_ms - r.submit_ms);
    }
    if (compareTokens && (f.tokens.length !== r.tokens.length || f.tokens.some((t, k) => t !== r.tokens[k]))) {
      const k = f.tokens.findIndex((t, i) => t !== r.tokens[i]);
      note(req, `token ${k} ms (of ${f.tokens.length} / ${r.tokens.length})`, f.tokens[k], r.tokens[k]);
    }
  }
  if (fast.timelines.size !== reference.timelines.size) out.push(`requests: GpuReplica ${fast.timelines.size}, reference ${reference.timelines.size}`);
  const gaps = fast.tokenGaps_ms, referenceGaps = reference.tokenGaps_ms;
  const k = gaps.findIndex((g, i) => g !== referenceGaps[i]);
  if (gaps.length !== referenceGaps.length || k >= 0) out.push(`inter-token gaps: GpuReplica ${gaps.length}, reference ${referenceGaps.length}; first difference (sorted) at ${k}: ${gaps[k]} vs ${referenceGaps[k]}`);
  for (const [name, value] of Object.entries(reference.counters)) {
    const fastValue = fast.counters[name as keyof ReplicaCounters];
    if (fastValue !== value) out.push(`${name}: GpuReplica ${fastValue}, reference ${value}`);
  }
  return out;
}
