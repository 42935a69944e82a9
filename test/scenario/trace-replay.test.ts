import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { loadTrace } from '../../src/workload/trace.ts';

/** The shipped trace-replay scenario, shortened (120 s, 30 s of warm-up) with overrides. */
function run(overrides: string[] = []) {
  return runReplications(prepare(loadScenario('scenarios/trace-replay.yaml', ['duration_s=120', ...overrides])), 1, 1).summary;
}

describe('scenarios/trace-replay.yaml (the Mooncake conversation sample)', () => {
  const cached = run();
  const uncached = run(['fleet.models.chat.batching.prefix_caching=false']);

  it('replays the sample\'s arrivals: as many requests as its rows at its own pace', () => {
    const trace = loadTrace('scenarios/data/traces/mooncake-conversation-300.jsonl');
    // looped: one pass is cycle_ms long; the measured 90 s see 90 s / cycle x 300 arrivals
    const expected = (90_000 / trace.cycle_ms) * trace.length;
    expect(cached.requests.offered).toBeGreaterThan(0.9 * expected);
    expect(cached.requests.offered).toBeLessThan(1.1 * expected);
  });

  it('the trace\'s shared prefix blocks are hits, and they cut TTFT against the same fleet without caching', () => {
    expect(cached.gpu!.chat.prefix_hit_rate!).toBeGreaterThan(0.1);
    expect(uncached.gpu!.chat.prefix_hit_rate ?? 0).toBe(0);
    expect(cached.by_model!.chat.latency_ms.ttft.p50!).toBeLessThan(uncached.by_model!.chat.latency_ms.ttft.p50!);
  });
});
