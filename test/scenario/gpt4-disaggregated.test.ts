import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';

/** The default fleet colocated and with GPT-4 disaggregated at the same GPU count, shortened. */
function run(file: string, overrides: string[] = []) {
  return runReplications(prepare(loadScenario(file, ['fleet.scale=0.01', 'duration_s=90', 'warmup_s=20', ...overrides])), 1, 1).summary;
}

describe('scenarios/gpt4-disaggregated.yaml', () => {
  const colocated = run('scenarios/openai-2024.yaml');
  const split = run('scenarios/gpt4-disaggregated.yaml');
  const degraded = run('scenarios/gpt4-disaggregated.yaml', ['faults=[{ kind: kv-link, target: "gpu:gpt-4", at_s: 30, duration_s: 60, bandwidth_fraction: 0.1 }]']);

  it('spends the same GPUs and the same GPU bill on GPT-4, split 8,000 prefill : 17,000 decode', () => {
    const line = (s: typeof split, c: string) => s.cost!.by_component[c] ?? 0;
    expect(line(split, 'gpu:gpt-4:prefill') + line(split, 'gpu:gpt-4:decode')).toBeCloseTo(line(colocated, 'gpu:gpt-4'), 0);
    const d = split.by_model!['gpt-4'].disaggregation!;
    expect(d.prefill_replicas + d.decode_replicas).toBe(colocated.gpu!['gpt-4'].replicas);
    expect(d.kv_transfers).toBeGreaterThan(0);
  });

  it('decode no longer waits behind prefill: time per output token falls', () => {
    expect(split.by_model!['gpt-4'].latency_ms.tpot!.p50!).toBeLessThan(0.7 * colocated.by_model!['gpt-4'].latency_ms.tpot!.p50!);
  });

  it('a KV link at a tenth of its bandwidth slows every hand-over', () => {
    const ms = (s: typeof split) => s.by_model!['gpt-4'].disaggregation!.kv_transfer_ms.p50!;
    expect(ms(degraded)).toBeGreaterThan(3 * ms(split));
  });
});
