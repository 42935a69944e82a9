import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReplicaConfig } from '../../src/fleet/gpu/replica.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { buildStepGeometry, stepModelFrom } from '../../src/perf/step.ts';
import { linearStep } from '../gpu/helpers.ts';
import { runGpuReplicas, runReference, timelineDifferences } from './drive.ts';
import { ReferenceReplica, type ExternalEvent } from './replica.ts';

/**
 * GpuReplica against the slow reference (test/reference/replica.ts) on random workloads, KV
 * capacity changes and failures: every request's first token, completion, scheduling delay,
 * preemptions, refusal and loss must agree exactly, and so must the inter-token gaps and the
 * replica's counters. The caches are small (tens to thousands of tokens) so that preemption, the
 * watermark and 'too_long' refusals happen in most runs. Several GpuReplicas share one simulator
 * and one sequence pool, as in a fleet, each compared with its own reference. Admission is seen
 * through GpuReplica's interface, as the scheduling delay of completed requests.
 *
 * Tolerance: none; decode fusion is meant to be exact (the fused stretch sums the same step
 * times in the same order). What is not compared: ties between an external event and an
 * iteration end. There the engine's order decides (the test schedules external events first),
 * while a fused stretch counts an iteration ending exactly at an arrival, capacity change or
 * failure as ended before it: an order the engine may also produce when the arrival was
 * scheduled after the iteration's end. Times are drawn in microseconds so that such ties (with
 * sums of floating-point step times) do not occur.
 */

const step = stepModelFrom(buildStepGeometry({ model: getModel('llama-2-7b'), gpu: getGpu('a100-80gb'), tp: 1 }), ENGINE_PROFILES.vllm);

const configArb = fc.record({
  chunked_prefill: fc.boolean(),
  max_num_seqs: fc.integer({ min: 1, max: 12 }),
  extra_tokens: fc.integer({ min: 0, max: 600 }),
  block_size_tokens: fc.constantFrom(1, 4, 16, 32),
  kv_capacity_tokens: fc.oneof(fc.integer({ min: 16, max: 6000 }), fc.integer({ min: 300, max: 2500 })),
  max_waiting: fc.integer({ min: 1, max: 64 }),
  watermark_fraction: fc.option(fc.constantFrom(0, 0.01, 0.05, 0.2), { nil: undefined }),
}).map(({ extra_tokens, ...c }): ReplicaConfig => ({ ...c, max_batched_tokens: c.max_num_seqs + extra_tokens }));

/** Times in microseconds, so that they almost never tie with an iteration end (a float sum of step times). */
const micros = (max: number) => fc.integer({ min: 0, max }).map((us) => us / 1000);

/** Token counts as a caller may pass them: mostly whole, sometimes fractional or below 1 (GpuReplica raises those to 1). */
const tokensArb = (max: number) => fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max }) },
  { weight: 1, arbitrary: fc.double({ min: -2, max, noNaN: true }) },
);

/** Gaps between arrivals: bursts (to fill the batch, the cache and the waiting queue) and lulls. */
const gapArb = fc.oneof(micros(20_000), micros(400_000));

/** Arrivals, and (with `disruptions`) up to 3 KV capacity changes and 2 failures in the first 6 s. */
function eventsArb(maxOutput: number, maxRequests: number, disruptions = true) {
  return fc.record({
    requests: fc.array(fc.record({ gap_ms: gapArb, prompt: fc.oneof(tokensArb(120), tokensArb(900)), output: tokensArb(maxOutput) }), { minLength: 1, maxLength: maxRequests, size: 'medium' }),
    capacity: fc.array(fc.record({ t_ms: micros(6_000_000), kv_tokens: fc.integer({ min: 0, max: 6000 }) }), { maxLength: disruptions ? 3 : 0 }),
    failures: fc.array(fc.record({ t_ms: micros(6_000_000), down_ms: micros(800_000) }), { maxLength: disruptions ? 2 : 0 }),
  }).map(({ requests, capacity, failures }) => {
    const events: ExternalEvent[] = [];
    let t_ms = 0;
    requests.forEach((r, req) => events.push({ t_ms: (t_ms += r.gap_ms), kind: 'arrive', req, prompt: r.prompt, output: r.output }));
    for (const c of capacity) events.push({ t_ms: c.t_ms, kind: 'capacity', kv_tokens: c.kv_tokens });
    for (const f of failures) events.push({ t_ms: f.t_ms, kind: 'fail' }, { t_ms: f.t_ms + f.down_ms, kind: 'restore' });
    // a stable sort: events at equal times keep this order in both drivers
    return events.sort((a, b) => a.t_ms - b.t_ms);
  });
}

/** Differences between each GpuReplica and its reference, and any sequence record left in the shared pool. */
function differences(cfg: ReplicaConfig, replicaEvents: ExternalEvent[][], tokens: boolean): string[] {
  const { runs, slotsInUse } = runGpuReplicas(step, cfg, replicaEvents, tokens);
  const out = runs.flatMap((run, i) => timelineDifferences(run, runReference(step, cfg, replicaEvents[i]), tokens).map((d) => `replica ${i}: ${d}`));
  if (slotsInUse !== 0) out.push(`${slotsInUse} sequence records still in use after every request ended`);
  return out;
}

describe('GpuReplica against the reference replica', () => {
  it('with decode fusion (no hooks), three replicas on one pool: every request timeline and the iteration counts agree exactly', () => {
    fc.assert(fc.property(configArb, fc.array(eventsArb(300, 30), { minLength: 1, maxLength: 3 }), (cfg, replicaEvents) => {
      expect(differences(cfg, replicaEvents, false)).toEqual([]);
    }), { numRuns: 120 });
  });

  it('iteration by iteration (token hook on): every output token of every request at the same time', () => {
    fc.assert(fc.property(configArb, eventsArb(300, 30), (cfg, events) => {
      expect(differences(cfg, [events], true)).toEqual([]);
    }), { numRuns: 100 });
  });

  it('long outputs: fused stretches reach their length limit (4,096 iterations) and agree exactly', () => {
    // no capacity change or failure: they would cut the long stretches short
    const longCfg = configArb.map((c) => ({ ...c, kv_capacity_tokens: 20_000 + (c.kv_capacity_tokens ?? 0) }));
    fc.assert(fc.property(longCfg, eventsArb(9000, 4, false), (cfg, events) => {
      expect(differences(cfg, [events], false)).toEqual([]);
    }), { numRuns: 15 });
  });

  it('the generated runs exercise what they are meant to: preemptions, refusals, losses, completions', () => {
    // A check of the generators, not of the replica: a property over runs that never preempt
    // or never fail would pass vacuously.
    const seen = { preemptions: 0, preemptionsAfterFirstToken: 0, tooLong: 0, queueFull: 0, lost: 0, completed: 0 };
    fc.assert(fc.property(configArb, eventsArb(300, 30), (cfg, events) => {
      const reference = new ReferenceReplica(step, cfg);
      reference.run(events);
      seen.preemptions += reference.counters.preemptions;
      seen.preemptionsAfterFirstToken += reference.preemptionsAfterFirstToken;
      for (const t of reference.timelines.values()) {
        if (t.rejected === 'too_long') seen.tooLong++;
        if (t.rejected === 'queue_full') seen.queueFull++;
        if (!Number.isNaN(t.lost_ms)) seen.lost++;
        if (!Number.isNaN(t.done_ms)) seen.completed++;
      }
    }), { numRuns: 100, seed: 1 });
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(10);
  });
});

describe('the reference replica, worked by hand', () => {
  it('two prompts fill a 32-token cache: the later one is preempted at a block boundary and recomputes prompt + output', () => {
    // 5 ms + 0.02 ms per prompt token + 0.1 ms per decoding sequence + 0.0005 ms per context token
    const linear = linearStep();
    const cfg: ReplicaConfig = { max_num_seqs: 4, max_batched_tokens: 1000, chunked_prefill: false, block_size_tokens: 4, kv_capacity_tokens: 32, max_waiting: 10 };
    const reference = new ReferenceReplica(linear, cfg);
    reference.run([
      { t_ms: 0, kind: 'arrive', req: 0, prompt: 8, output: 10 },
      { t_ms: 0, kind: 'arrive', req: 1, prompt: 8, output: 10 },
    ]);
    // Prefill-only iterations, A then B (B arrived while A's was running). Then both decode,
    // contexts 8 + 8, 9 + 9, ...: 8 blocks of 4 hold both up to 16 tokens each; going to 17
    // needs a ninth block, so B (admitted last) is preempted; A takes the block and finishes.
    // B, having emitted 9 tokens, prefills 8 + 9 = 17 tokens and samples its 10th.
    const prefill = (tokens: number) => 5 + 0.02 * tokens;
    const decode = (seqs: number, context: number) => 5 + 0.1 * seqs + 0.0005 * context;
    let t = prefill(8);
    const a = [t];
    const b = [(t += prefill(8))];
    for (let k = 1; k <= 8; k++) {
      t += decode(2, 2 * (8 + k - 1));
      a.push(t);
      b.push(t);
    }
    a.push((t += decode(1, 16)));
    b.push((t += prefill(17)));
    const [ta, tb] = [reference.timelines.get(0)!, reference.timelines.get(1)!];
    expect(ta.tokens).toEqual(a);
    expect(tb.tokens).toEqual(b);
    expect([ta.preemptions, tb.preemptions]).toEqual([0, 1]);
    expect([ta.admit_ms, tb.admit_ms]).toEqual([0, prefill(8)]);
    expect(reference.counters).toMatchObject({ iterations: 12, preemptions: 1, prefill_tokens: 8 + 8 + 17, recompute_tokens: 17, decode_tokens: 17, output_tokens: 20 });
  });
});
