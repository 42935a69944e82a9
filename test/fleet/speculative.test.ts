import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { REPO } from '../helpers/cli.ts';

const SHORT = ['duration_s=120', 'warmup_s=20', 'fleet.scale=0.002'];
/** GPT-4's and GPT-3.5's decode figures of one short run. */
function summaryOf(file: string, sets: string[] = []) {
  const s = runReplications(prepare(loadScenario(join(REPO, file), [...SHORT, ...sets], [join(REPO, 'scenarios')])), 1, 1).summary;
  const tpot = (model: string) => s.by_model![model].latency_ms.tpot!.p50!;
  return { tpot4: tpot('gpt-4'), tpot35: tpot('gpt-3.5-turbo'), batch4: s.gpu!['gpt-4'].batch_size_mean };
}

describe('speculative decoding in a fleet run', () => {
  let plain: ReturnType<typeof summaryOf> | undefined;
  const withoutSpeculation = () => (plain ??= summaryOf('scenarios/incidents/base.yaml'));

  it('the shipped scenario speculates on GPT-4 only: its TPOT falls, GPT-3.5 is untouched', () => {
    const off = withoutSpeculation();
    const on = summaryOf('scenarios/speculative-decoding.yaml');
    // at these batches a 175B model is memory-bound and the EAGLE head cheap (E = 2.53 tokens per
    // step); faster decoding also shrinks the batches, so the fleet's gain can pass E
    expect(on.tpot4).toBeLessThan(0.6 * off.tpot4);
    expect(on.batch4).toBeLessThan(off.batch4);
    expect(Math.abs(on.tpot35 / off.tpot35 - 1)).toBeLessThan(0.05);
  });

  it('nothing accepted makes GPT-4 decode slower than without speculation', () => {
    const off = withoutSpeculation();
    const none = summaryOf('scenarios/speculative-decoding.yaml', ['fleet.models.gpt-4.speculative.acceptance_rate=0']);
    expect(none.tpot4).toBeGreaterThan(off.tpot4);
  });
});
