import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';

/** The shipped chat-sessions scenario, shortened (120 s, 30 s of warm-up) with overrides. */
function run(overrides: string[] = []) {
  const prep = prepare(loadScenario('scenarios/chat-sessions.yaml', ['duration_s=120', 'warmup_s=30', ...overrides]));
  return runReplications(prep, 1, 1).summary;
}

describe('scenarios/chat-sessions.yaml: multi-turn sessions over shared system prompts', () => {
  const affinity = run();
  const sticky = run(['fleet.models.chat.router.policy=consistent_hash']);
  const blind = run(['fleet.models.chat.router.policy=least_outstanding']);
  const uncached = run(['fleet.models.chat.batching.prefix_caching=false']);
  const hit = (s: typeof affinity) => s.gpu!.chat.prefix_hit_rate!;
  const ttft = (s: typeof affinity) => s.by_model!.chat.latency_ms.ttft;

  it('without prefix caching nothing is reused, neither system prompts nor conversations', () => {
    expect(hit(uncached)).toBe(0);
    expect(uncached.gpu!.chat.prefix_cached_tokens).toBe(0);
  });

  it('routing that keeps a conversation where it was cached hits more than routing blind to the caches', () => {
    expect(hit(affinity)).toBeGreaterThan(hit(blind) + 0.1);
    expect(hit(sticky)).toBeGreaterThan(hit(blind) + 0.05);
    expect(ttft(affinity).p50!).toBeLessThan(ttft(blind).p50!);
  });

  it('caching cuts time to first token against the same fleet, prompts and sessions without it', () => {
    expect(ttft(affinity).p50!).toBeLessThan(0.5 * ttft(uncached).p50!);
    expect(ttft(affinity).p99!).toBeLessThan(ttft(uncached).p99!);
  });
});
