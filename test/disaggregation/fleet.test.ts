import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import type { RunResult } from '../../src/results/run-result.ts';
import { buildStepModel } from '../../src/perf/step.ts';
import { getGpu, getModel } from '../../src/perf/lookup.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { smallFleet, smallModel } from '../helpers/fleet.ts';

const PROMPT = 512, OUTPUT = 64, BANDWIDTH_GBPS = 100, LINK_LATENCY_MS = 2;

/** One model, Llama-2-7B on two A100s split 1 prefill : 1 decode, constant lengths, a slow link so the transfer shows. */
function disaggregatedFleet(rate_per_s: number, faults: unknown[] = [], duration_s = 600) {
  const prep = smallFleet({
    rate_per_s,
    duration_s,
    warmup_s: 20,
    fleet: {
      models: {
        pd: {
          ...smallModel(),
          share: 1,
          gpus: 2,
          tokens: { prompt: { dist: 'constant', value: PROMPT }, output: { dist: 'constant', value: OUTPUT } },
          disaggregation: { prefill: { gpus: 1 }, decode: {}, kv_link: { bandwidth_gbps: BANDWIDTH_GBPS, latency_ms: LINK_LATENCY_MS } },
        },
      },
    },
  });
  // set after validation: every field is given (no defaults are applied)
  (prep.scenario as { faults: unknown[] }).faults = faults as never[];
  let run: RunResult | undefined;
  const exp = runReplications(prep, 1, 1, (_i, r) => (run = r));
  return { s: exp.summary, run: run! };
}

// the step model the pools run (smallModel: the 2023 vLLM profile)
const step = buildStepModel({ model: getModel('llama-2-7b'), gpu: getGpu('a100-80gb'), tp: 1, calibration: ENGINE_PROFILES['vllm-2023'] });

describe('disaggregated serving at low load (closed forms)', () => {
  const { s, run } = disaggregatedFleet(0.2);
  const pd = s.by_model!.pd;

  it('time on the prefill replica to the first token is one prefill of the prompt', () => {
    const prefill_ms = step.stepTimeMs(PROMPT, PROMPT * (PROMPT / 2), 0, 0);
    // the sketch's quantiles are within 0.5%; the median request met an idle replica
    expect(s.by_stage!.gpu_ttft.latency_ms.p50! / prefill_ms).toBeCloseTo(1, 2);
  });

  it('time per output token is the KV transfer plus one decode step per further token of the decode replica, over output - 1', () => {
    const transfer_ms = (step.kvBytesPerToken * PROMPT) / ((BANDWIDTH_GBPS * 1e9) / 8 / 1000) + LINK_LATENCY_MS;
    let decode_ms = 0;
    for (let k = 0; k < OUTPUT - 1; k++) decode_ms += step.stepTimeMs(0, 0, 1, PROMPT + k);
    expect(pd.latency_ms.tpot.p50! / ((transfer_ms + decode_ms) / (OUTPUT - 1))).toBeCloseTo(1, 2);
    expect(pd.disaggregation!.kv_transfer_ms.p50! / transfer_ms).toBeCloseTo(1, 2);
  });

  it('every request ends in one bucket; the pools are sized and billed apart; no KV block leaks in either pool', () => {
    const q = pd.requests;
    expect(q.completed).toBeGreaterThan(80);
    expect(q.offered).toBe(q.completed + q.failed + q.rejected + q.timed_out + q.in_flight_at_end);
    expect(q.failed + q.rejected).toBe(0);
    expect(pd.disaggregation).toMatchObject({ prefill_replicas: 1, decode_replicas: 1, lost_on_kv_link: 0, no_decode_replica: 0 });
    expect(s.gpu!['pd:prefill'].replicas).toBe(1);
    expect(s.cost!.by_component['gpu:pd:prefill']).toBeGreaterThan(0);
    expect(s.cost!.by_component['gpu:pd']).toBeUndefined();
    const pools = run.fleet!.gpuClusters.filter((c) => c.name.startsWith('pd:'));
    expect(pools.map((c) => c.name)).toEqual(['pd:prefill', 'pd:decode']);
    for (const c of pools) for (const r of c.replicas) expect(() => r.checkInvariants()).not.toThrow();
    // the prefill replica frees each prompt's blocks at its first token: nothing left but what is in flight
    const prefill = pools[0].replicas[0];
    if (prefill.outstanding === 0) expect(prefill.usedBlocks).toBe(0);
  });
});

describe('disaggregated serving under faults', () => {
  it('a failed decode pool fails the requests it held and those whose prefill ends while it is down; then serving resumes', () => {
    const { s } = disaggregatedFleet(1, [{ kind: 'gpu-cluster-failure', target: 'gpu:pd:decode', fraction: 1, at_s: 100, duration_s: 60 }], 300);
    const pd = s.by_model!.pd;
    expect(pd.requests.failed).toBeGreaterThan(30); // about a minute of 1 request/s
    expect(pd.disaggregation!.no_decode_replica).toBeGreaterThan(0);
    expect(pd.requests.failed).toBeLessThan(pd.requests.offered / 2);
    expect(pd.requests.completed).toBeGreaterThan(pd.requests.offered / 2);
  });

  it('a failed KV link fails requests at the hand-over; a degraded one slows time per output token and loses none', () => {
    const failed = disaggregatedFleet(1, [{ kind: 'kv-link', target: 'gpu:pd', at_s: 100, duration_s: 30, bandwidth_fraction: 0 }], 300).s.by_model!.pd;
    expect(failed.disaggregation!.lost_on_kv_link).toBeGreaterThan(15);
    expect(failed.requests.failed).toBe(failed.disaggregation!.lost_on_kv_link);
    const base = disaggregatedFleet(1, [], 300).s.by_model!.pd;
    const slow = disaggregatedFleet(1, [{ kind: 'kv-link', target: 'gpu:pd', at_s: 100, duration_s: 100, bandwidth_fraction: 0.1 }], 300).s.by_model!.pd;
    expect(slow.requests.failed).toBe(0);
    expect(slow.latency_ms.tpot.p90!).toBeGreaterThan(base.latency_ms.tpot.p90! * 1.2);
  });

  it('names the disaggregated models when a kv-link fault targets something else', () => {
    expect(() => disaggregatedFleet(1, [{ kind: 'kv-link', target: 'gpu:nope', at_s: 1, duration_s: 1, bandwidth_fraction: 0 }], 30)).toThrow(/expected a disaggregated model \(gpu:pd\)/);
  });
});

describe('disaggregation: bad input', () => {
  const withPools = (prefill: object, decode: object) =>
    smallFleet({ rate_per_s: 1, duration_s: 30, fleet: { models: { pd: { ...smallModel(), share: 1, gpus: 4, disaggregation: { prefill, decode, kv_link: { bandwidth_gbps: 100 } } } } } });
  const runIt = (prefill: object, decode: object) => runReplications(withPools(prefill, decode), 1, 1);

  it('the pools must add up to the model\'s GPUs, one of them may take the rest', () => {
    expect(() => runIt({ gpus: 1 }, { gpus: 1 })).toThrow(/^test-scenario: fleet\.models\.pd\.disaggregation: the pools' GPUs \(prefill 1, decode 1\) must be at least 1 each and add up to fleet\.models\.pd\.gpus \(4\)$/);
    expect(() => runIt({}, {})).toThrow(/^test-scenario: fleet\.models\.pd\.disaggregation\.prefill\.gpus: expected the GPUs of at least one pool/);
    expect(() => runIt({ gpus: 4 }, {})).toThrow(/decode 0\) must be at least 1 each/);
    expect(runIt({ gpus: 3 }, {}).summary.by_model!.pd.disaggregation).toMatchObject({ prefill_replicas: 3, decode_replicas: 1 });
  });

  it('a pool\'s GPUs must be a multiple of its TP, and its instance must carry its GPU', () => {
    expect(() => runIt({ gpus: 3, tp: 2 }, {})).toThrow(/prefill\.gpus: expected a multiple of the pool's tp 2, got 3/);
    expect(() => runIt({ gpus: 2, instance: 'g4dn.12xlarge' }, {})).toThrow(/prefill\.instance: g4dn\.12xlarge does not carry the pool's GPU a100-80gb/);
  });
});

