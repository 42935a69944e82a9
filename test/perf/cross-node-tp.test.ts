import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows } from '../../src/fidelity/predict.ts';
import { GPUS } from '../../src/perf/hardware.ts';
import { MODELS } from '../../src/perf/models.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { buildStepGeometry, stepTimeFrom } from '../../src/perf/step.ts';
import { fleetsim } from '../helpers/cli.ts';

/**
 * A tensor-parallel group over several nodes (whole interconnect domains): each all-reduce runs as
 * NCCL's hierarchical one, within each node over the GPU link as a group of the node's GPUs would,
 * then across nodes over each GPU's own 400 Gb/s NIC (step.ts networkAllReduce).
 */
describe('tensor parallelism across nodes', () => {
  const c = ENGINE_PROFILES.sglang;
  const model = MODELS['llama-3.1-70b'];
  const h100 = GPUS['h100-80gb'];

  it('costs within each node what a group of the node would, and adds the network\'s latency and payload in closed form', () => {
    const node = buildStepGeometry({ model, gpu: h100, tp: 8, dtype: 'fp8', calibration: c });
    const two = buildStepGeometry({ model, gpu: h100, tp: 16, dtype: 'fp8', calibration: c });
    expect(node.networkAllReduceLatencyUs).toBe(0);
    expect(node.networkAllReduceMsPerToken).toBe(0);
    // the node's part: the same ring share, rounds and hops as a group of 8
    expect(two.allReduceMsPerToken).toBeCloseTo(node.allReduceMsPerToken, 12);
    expect(two.allReduceDoublings).toBe(3);
    expect(two.allReduces).toBe(2 * model.layers);
    // a tree over 2 nodes: 2 log2(2) network steps of 70 us
    expect(two.networkAllReduceLatencyUs).toBeCloseTo(140, 12);
    // each GPU all-reduces its eighth of the 16-bit activations with its peer: 2 (2-1)/2 of it, at 0.94 x 50 GB/s
    const bytesPerToken = two.allReduces * model.hidden_size * 2 / 8;
    expect(two.networkAllReduceMsPerToken).toBeCloseTo(bytesPerToken / (0.94 * 50e9 / 1000), 15);
    // four nodes: 2 log2(4) steps, 2 (4-1)/4 of the eighth
    const four = buildStepGeometry({ model, gpu: h100, tp: 32, dtype: 'fp8', calibration: c });
    expect(four.networkAllReduceLatencyUs).toBeCloseTo(280, 12);
    expect(four.networkAllReduceMsPerToken / two.networkAllReduceMsPerToken).toBeCloseTo(1.5, 12);
    // the switch's fused all-reduce stays within a node
    expect(node.allReduceFusable).toBe(true);
    expect(two.allReduceFusable).toBe(false);
    // a step's added time is exactly those two terms
    const withoutNetwork = { ...two, networkAllReduceLatencyUs: 0, networkAllReduceMsPerToken: 0 };
    for (const [prompt, seqs, ctx] of [[0, 1, 1_000], [8_192, 0, 0], [512, 64, 64_000]] as const) {
      const tokens = prompt + seqs;
      const added = stepTimeFrom(two, c, prompt, prompt * prompt / 2, seqs, ctx) - stepTimeFrom(withoutNetwork, c, prompt, prompt * prompt / 2, seqs, ctx);
      expect(added).toBeCloseTo(two.allReduces * 140 / 1000 + tokens * two.networkAllReduceMsPerToken, 9);
    }
  });

  it('takes each GPU\'s own network: A100 nodes have 50 Gb/s per GPU (AWS p4d), 8x less payload rate than H100\'s 400; PCIe cards do not span hosts', () => {
    const a100 = buildStepGeometry({ model, gpu: GPUS['a100-80gb'], tp: 16, dtype: 'fp16', calibration: c });
    const h100fp16 = buildStepGeometry({ model, gpu: h100, tp: 16, dtype: 'fp16', calibration: c });
    expect(GPUS['a100-80gb'].network_gbit_per_s).toBe(50);
    expect(a100.networkAllReduceMsPerToken / h100fp16.networkAllReduceMsPerToken).toBeCloseTo(8, 12);
    expect(a100.networkAllReduceLatencyUs).toBe(h100fp16.networkAllReduceLatencyUs);
    expect(() => buildStepGeometry({ model, gpu: GPUS.l40s, tp: 16, dtype: 'fp8', calibration: c }))
      .toThrow(/^--tp: tp=16 exceeds the 8 PCIe cards of one l40s host; a group over several hosts of PCIe cards is not modelled: use tp <= 8$/);
  });

  it('takes its network step from the one published serving run across nodes, and reads the held-out one within 10%', async () => {
    // vLLM 0.17, Qwen2.5-72B FP16, one request, 57 tokens in and 512 out: TP 16 on two H100 nodes
    // against TP 8 on one (multinode-tp.csv, calibration rows): the per-token time of each run
    const rows = loadCorpus([new URL('../../data/corpus/fresh-2026-12/multinode-tp.csv', import.meta.url).pathname]);
    const value = (id: string) => rows.find((r) => r.id === id)!.value;
    const tpot = (tp: number) => (value(`fmn-jz-h100-q72-tp${tp}-c1-e2e`) - value(`fmn-jz-h100-q72-tp${tp}-c1-ttft`)) / 511;
    const qwen = MODELS['qwen2.5-72b'];
    const vllm = ENGINE_PROFILES.vllm;
    const at = (tp: number) => buildStepGeometry({ model: qwen, gpu: h100, tp, dtype: 'fp16', calibration: vllm });
    // what TP 16 saves within a node: half the weights each GPU streams
    const savedMs = (at(8).denseWeightMs - at(16).denseWeightMs) / vllm.memory_bw_efficiency;
    const perAllReduceUs = (tpot(16) - tpot(8) + savedMs) / at(16).allReduces * 1000;
    expect(perAllReduceUs).toBeGreaterThan(135);
    expect(perAllReduceUs).toBeLessThan(145);
    // the model's crossing (two network steps) is what that pair measured, within 5 us
    expect(Math.abs(at(16).networkAllReduceLatencyUs - perAllReduceUs)).toBeLessThan(5);
    // held out: SGLang serving DeepSeek-R1 at TP 16 on two H100 nodes, one request at a time
    const held = loadCorpus([new URL('../../data/corpus/fresh-2026-12/moe-decode.csv', import.meta.url).pathname]).filter((r) => r.id.startsWith('fmd-tt-') && r.kind === 'serving_tpot');
    expect(held.length).toBe(7);
    predictRows(held, { seed: 1 }).forEach((p, i) => {
      if (p.status !== 'predicted') throw new Error(`${p.id}: not predicted`);
      expect(Math.abs(p.value / held[i].value - 1), p.id).toBeLessThan(0.1);
    });
  });

  it('fits DeepSeek-V3 on two H100 nodes at half the weights per GPU, and refuses a group that splits a node', async () => {
    const json = async (tp: number, gpu: string) => {
      const r = await fleetsim(['perf', '--model', 'deepseek-v3', '--gpu', gpu, '--tp', String(tp), '--dtype', 'fp8', '--engine', 'sglang', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { weight_gb_per_gpu: number; gpus: number; tpot_ms: number };
    };
    const two = await json(16, 'h100-80gb');
    const one = await json(8, 'h200');
    expect(two.gpus).toBe(16);
    // the replicated attention down-projections and router keep it a little above half
    expect(two.weight_gb_per_gpu / one.weight_gb_per_gpu).toBeGreaterThan(0.5);
    expect(two.weight_gb_per_gpu / one.weight_gb_per_gpu).toBeLessThan(0.53);
    const text = await fleetsim(['perf', '--model', 'deepseek-v3', '--gpu', 'h100-80gb', '--tp', '16', '--dtype', 'fp8']);
    expect(text.stdout).toMatch(/interconnect +nvlink 900 GB\/s per GPU within each of 2 nodes of 8, and between them the network/);
    const refused = await fleetsim(['perf', '--model', 'deepseek-v3', '--gpu', 'h100-80gb', '--tp', '12', '--dtype', 'fp8']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/--tp: tp=12 exceeds the 8-GPU nvlink domain of h100-80gb; a group over several nodes takes whole domains/);
  });
});
