import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { REPO } from '../helpers/cli.ts';
import { verdictText } from '../../src/report/verdict-text.ts';

/**
 * Rates of an overloaded replica are its capacity, whatever the run's length. Throughput, goodput,
 * tokens/s and the cost per token count what was served inside the measured window, whenever the
 * request arrived; counting only the requests that both arrived after the warm-up and finished
 * before the end made them fall short by the queueing time over the window (this replica, offered
 * 2.3 times its capacity, read 1.3 requests/s in a 120-s run and 13 in a 480-s one).
 */
const FILE = join(REPO, 'test/results/fixtures/one-replica.yaml');

function run(duration_s: number) {
  const s = runReplications(prepare(loadScenario(FILE, ['workload.arrivals.rate_per_s=40', `duration_s=${duration_s}`])), 1, 1).summary;
  return { throughput: s.requests.throughput_per_s, goodput: s.requests.goodput_per_s!, tokens: s.by_model!.m.output_tokens_per_s, usd: s.cost!.usd_per_million_tokens, steady: s.verdict.steady_state.ok };
}

describe('rates of a run past capacity', () => {
  it('are the replica\'s capacity, the same in a 120-s and a 480-s run', () => {
    const short = run(120);
    const long = run(480);
    expect(long.steady).toBe(false); // the backlog grows: its latencies measure the run, its rates do not
    expect(short.tokens / long.tokens).toBeGreaterThan(0.92);
    expect(short.tokens / long.tokens).toBeLessThan(1.08);
    expect(short.throughput / long.throughput).toBeGreaterThan(0.85);
    expect(short.goodput / long.goodput).toBeGreaterThan(0.85);
    expect(short.usd / long.usd).toBeGreaterThan(0.92);
    expect(short.usd / long.usd).toBeLessThan(1.08);
    // the token rate is the completions' (128 output tokens each) within the backlog's share
    expect(long.tokens / (long.throughput * 128)).toBeGreaterThan(0.95);
    expect(long.tokens / (long.throughput * 128)).toBeLessThan(1.1);
  }, 120_000);

  it('an SLO met in a run past capacity, too short to judge, is not reported as met', () => {
    const summary = (sets: string[]) => runReplications(prepare(loadScenario(FILE, ['fleet.models.m.slo={"ttft_p99_ms":60000}', ...sets])), 1, 1).summary;
    const short = verdictText(summary(['workload.arrivals.rate_per_s=40', 'duration_s=40', 'warmup_s=10']));
    expect(short.headline).toMatch(/^Verdict: SLO met for the model in this run, not shown to hold \(the run is too short to judge steady state\)/);
    expect(short.lines[0]).toMatchObject({ bad: true });
    expect(short.lines[0].text).toMatch(/target 60,000 ms: met in this run, not shown to hold/);
    // below capacity and long enough to judge: met, plainly
    const calm = verdictText(summary(['workload.arrivals.rate_per_s=4', 'duration_s=300']));
    expect(calm.headline).toMatch(/^Verdict: SLO met for the model; at steady state/);
    expect(calm.lines[0]).toMatchObject({ bad: false });
  }, 120_000);
});
