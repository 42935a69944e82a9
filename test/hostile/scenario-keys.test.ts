import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';

/**
 * Hostile values for the scenario keys added in fleetsim 0.2 (sessions, classes, disaggregation
 * and the kv-link fault, speculative decoding, energy, purchase mix and spot reclaims, routing):
 * each is refused by `validate` with one line naming the file, the field and what was expected
 * (exit 2), the same line `run` gives. The table of cases is docs/hostile-inputs.md.
 */
const FILE = 'scenarios/openai-2024.yaml';
const SMALL = ['fleet.scale=0.002', 'duration_s=5', 'warmup_s=0'];
const DISAGGREGATED = 'fleet.models.gpt-4.disaggregation={prefill: {gpus: 800}, decode: {}, kv_link: {bandwidth_gbps: 100}}';
const SPOT = 'fleet.models.gpt-4.purchase={on_demand: 0.5, spot: 0.5}';
const session = (turns: string) => `fleet.models.gpt-4.sessions={share: 1, turns: ${turns}, think_time_ms: {dist: constant, value: 0}, message_tokens: {dist: constant, value: 50}}`;

/** [what, --set values, field named, what the message says was expected]. */
const REFUSED: [string, string[], string, RegExp][] = [
  ['a session of 3e9 turns (wrapped to a negative count in an Int32Array: a session without end)', [session('{dist: constant, value: 3e9}')], 'fleet.models.gpt-4.sessions.turns', /at most 1,000,000 per session/],
  ['a session of 1e308 turns (wrapped to 0)', [session('{dist: constant, value: 1e308}')], 'fleet.models.gpt-4.sessions.turns', /at most 1,000,000 per session/],
  ['sessions with a share of NaN', ['fleet.models.gpt-4.sessions={share: .nan, turns: {dist: constant, value: 3}, think_time_ms: {dist: constant, value: 1}, message_tokens: {dist: constant, value: 5}}'], 'fleet.models.gpt-4.sessions.share', /probability in \[0, 1\]/],
  ['sessions on an embedding model', ['fleet.models.text-embedding-ada-002.sessions={share: 1, turns: {dist: constant, value: 3}, think_time_ms: {dist: constant, value: 1}, message_tokens: {dist: constant, value: 5}}'], 'fleet.models.text-embedding-ada-002', /generating model/],
  ['a negative think time', ['fleet.models.gpt-4.sessions={share: 1, turns: {dist: constant, value: 3}, think_time_ms: {dist: constant, value: -1}, message_tokens: {dist: constant, value: 5}}'], 'fleet.models.gpt-4.sessions.think_time_ms.value', /number >= 0/],
  ['spill to the model itself', ['fleet.models.gpt-4.router={policy: least_outstanding, spill_waiting_per_replica: 1, spill_to: gpt-4}'], 'fleet.models.gpt-4.router.spill_to', /another served model/],
  ['no classes', ['fleet.classes={}'], 'fleet.classes', /1 to 16 classes/],
  ['class shares summing to 0.3', ['fleet.classes={a: {share: 0.1}, b: {share: 0.2}}'], 'fleet.classes', /shares that sum to 1/],
  ['class shares summing to 2', ['fleet.classes={a: {share: 1}, b: {share: 1}}'], 'fleet.classes', /shares that sum to 1/],
  ['a class priority of 2^64', ['fleet.classes={a: {share: 1, priority: 18446744073709551616}}'], 'fleet.classes.a.priority', /integer/],
  ['a KV link of zero bandwidth', ['fleet.models.gpt-4.disaggregation={prefill: {gpus: 800}, decode: {}, kv_link: {bandwidth_gbps: 0}}'], 'fleet.models.gpt-4.disaggregation.kv_link.bandwidth_gbps', /positive number/],
  ['a prefill pool larger than the model', ['fleet.models.gpt-4.disaggregation={prefill: {gpus: 1000000}, decode: {}, kv_link: {bandwidth_gbps: 100}}'], 'fleet.models.gpt-4.disaggregation', /add up to fleet\.models\.gpt-4\.gpus/],
  ['a prefill pool of 2^31 - 1 GPUs at tp 2^31 - 1', ['fleet.models.gpt-4.disaggregation={prefill: {gpus: 2147483647, tp: 2147483647}, decode: {}, kv_link: {bandwidth_gbps: 100}}'], 'fleet.models.gpt-4.disaggregation', /at least 1 each/],
  ['a kv-link fault on a colocated fleet', ['faults=[{kind: kv-link, at_s: 1, duration_s: 2, target: gpu:gpt-4}]'], 'faults[0].target', /disaggregated model \(none in this fleet\)/],
  ['a kv-link fault on a model that does not exist', [DISAGGREGATED, 'faults=[{kind: kv-link, at_s: 1, duration_s: 2, target: gpu:nope}]'], 'faults[0].target', /disaggregated model \(gpu:gpt-4\)/],
  ['a spot reclaim of the whole disaggregated model (its pools are gpu:gpt-4:prefill and :decode)', [DISAGGREGATED, SPOT, 'faults=[{kind: spot-reclaim, at_s: 0, duration_s: 5, target: gpu:gpt-4}]'], 'faults[0].target', /gpu:gpt-4:prefill, gpu:gpt-4:decode/],
  ['an acceptance rate of 5', ['fleet.models.gpt-4.speculative={method: eagle, tokens_per_step: 3, acceptance_rate: 5}'], 'fleet.models.gpt-4.speculative.acceptance_rate', /\[0, 1\)/],
  ['an empty acceptance list', ['fleet.models.gpt-4.speculative={method: eagle, tokens_per_step: 3, acceptance_by_position: []}'], 'fleet.models.gpt-4.speculative.acceptance_by_position', /3 values/],
  ['2^64 tokens per step', ['fleet.models.gpt-4.speculative={method: eagle, tokens_per_step: 18446744073709551616, acceptance_rate: 0.5}'], 'fleet.models.gpt-4.speculative.tokens_per_step', /\[1, 16\]/],
  ['a draft model that does not exist', ['fleet.models.gpt-4.speculative={method: draft, tokens_per_step: 3, acceptance_rate: 0.5, draft_model: nope}'], 'fleet.models.gpt-4.speculative.draft_model', /unknown model/],
  ['a power cap of 1e-300 W (found while building: named with the file since 0.2)', ['fleet.models.gpt-4.power_cap_w=1e-300'], 'fleet.models.gpt-4.power_cap_w', /above the a100-80gb's idle draw/],
  ['a node overhead of 1e308 W (the power figures were Infinity, written as null)', ['fleet.energy={node_overhead_w: 1e308}'], 'fleet.energy.node_overhead_w', /at most 100000 W per node/],
  ['a grid of 1e308 g CO2e/kWh (emissions were Infinity)', ['fleet.regions.us-east={traffic_share: 0.5, capacity_share: 0.5, carbon_g_per_kwh: 1e308}'], 'fleet.regions.us-east.carbon_g_per_kwh', /at most 5000/],
  ['a PUE of NaN', ['fleet.energy={pue: .nan}'], 'fleet.energy.pue', /number/],
  ['a grid that does not exist', ['fleet.regions.us-east={traffic_share: 0.5, capacity_share: 0.5, grid: nope}'], 'fleet.regions.us-east.grid', /grid of data\/grid-carbon\.json/],
  ['a purchase mix summing to 0.5', ['fleet.models.gpt-4.purchase={on_demand: 0.2, spot: 0.3}'], 'fleet.models.gpt-4.purchase', /summing to 1/],
  ['an empty purchase mix', ['fleet.models.gpt-4.purchase={}'], 'fleet.models.gpt-4.purchase', /summing to 1/],
  ['a price override of 1e308 USD an hour (an infinite bill, refused only after the run)', ['fleet.prices.overrides={p4de.24xlarge: 1e308}'], 'fleet.prices.overrides.p4de.24xlarge', /at most 1000000 USD an hour/],
  ['a region price factor of 1e308', [SPOT, 'fleet.prices.region_multipliers={us-east: 1e308}'], 'fleet.prices.region_multipliers.us-east', /at most 100/],
  ['1e308 spot interruptions a month (every gap 0: the clock stood still)', [SPOT, 'faults=[{kind: spot-reclaim, at_s: 0, duration_s: 5, target: gpu:gpt-4, interruptions_per_month: 1e308}]'], 'faults[0].interruptions_per_month', /at most 730/],
  ['a spot reclaim of a model with no spot share', ['faults=[{kind: spot-reclaim, at_s: 0, duration_s: 5, target: gpu:gpt-4}]'], 'faults[0].target', /buys a spot share/],
  ['a spot reclaim of a pool that does not exist', [SPOT, 'faults=[{kind: spot-reclaim, at_s: 0, duration_s: 5, target: gpu:nope}]'], 'faults[0].target', /expected a GPU cluster/],
  ['a GPU fault on a pool that does not exist (validate said valid before 0.2)', ['faults=[{kind: gpu-fault, at_s: 0, duration_s: 5, target: gpu:nope}]'], 'faults[0].target', /expected a GPU cluster/],
  ['a region outage of a region that does not exist', ['faults=[{kind: region-outage, at_s: 0, duration_s: 5, target: nope}]'], 'faults[0].target', /expected a region/],
  ['a wall budget of NaN', ['limits.max_wall_s=.nan'], 'limits.max_wall_s', /positive number/],
  ['an infinite wall budget', ['limits.max_wall_s=.inf'], 'limits.max_wall_s', /positive number/],
  ['an infinite memory limit', ['limits.max_memory_gb=.inf'], 'limits.max_memory_gb', /positive number/],
  ['1e300 requests a second (gaps of 1e-297 ms no longer moved the clock: the run stood still until its wall budget ran out)', ['workload.arrivals.rate_per_s=1e300'], 'workload.arrivals.rate_per_s', /about 1\.00e298 arrivals, more than limits\.max_events/],
  ['a rate with five zeros too many (8.3e9 arrivals in 5 s against the 2e9 events allowed)', ['workload.arrivals.rate_per_s=1666700000', 'fleet.scale=1'], 'workload.arrivals.rate_per_s', /more than limits\.max_events \(2,000,000,000\)/],
  // found 2026-12-06 (the limits campaign): each was accepted and then ran with the clock still, or filled the event queue (exit 70)
  ['a client timeout of 1e-300 ms with immediate retries (every attempt timed out at the same instant)', ['client={timeout_ms: 1e-300, max_retries: 2147483647, backoff: {initial_ms: 0, max_ms: 0}}'], 'client.timeout_ms', /at least 1 ms/],
  ['a fragmentation fault stepping every 1e-300 s (the loop scheduling its steps never advanced)', ['faults=[{kind: kv-fragmentation, at_s: 0, duration_s: 5, target: gpu:gpt-4, step_s: 1e-300}]'], 'faults[0].step_s', /at most 100,000 steps over the fault/],
  ['an autoscaler whose min is above its max (max silently won)', ['control={autoscalers: [{target: gpu:gpt-4, metric: kv, target_value: 0.6, min: 500, max: 10}]}'], 'control.autoscalers[0].min', /expected at most max \(10\), got 500/],
  ['a control period of 1e-300 s (a decision every instant: the clock stood still)', ['control={interval_s: 1e-300}'], 'control.interval_s', /a control period of a millisecond or more/],
  ['a fleet sampled at 1e-300 (no request arrived; each replica was said to stand for 1e300)', ['fleet.scale=1e-300'], 'fleet.scale', /a fraction in \[1e-6, 1\]/],
  // found 2026-12-06 (the third campaign): each was accepted and ran wrong, hung or wrote a null bill
  ['a cluster failure of a fraction 0 (one replica failed: 28% of requests)', ['faults=[{kind: gpu-cluster-failure, at_s: 1, duration_s: 2, target: gpu:gpt-4, fraction: 0}]'], 'faults[0].fraction', /above 0 and at most 1/],
  ['a region with traffic and no capacity (half the requests never served; the capacity check read Infinity%)', ['fleet.regions.us-east={traffic_share: 0.5, capacity_share: 0}'], 'fleet.regions.us-east.capacity_share', /above 0 for a region with traffic/],
  ['a cost line of 1e308 USD a month (the bill overflowed to null, which compare refused)', ['fleet.other_costs=[{component: x, plane: control, monthly_usd: 1e308}]'], 'fleet.other_costs[0].monthly_usd', /at most 1,000,000,000,000 USD a month/],
  ['a CDN bill of 1e308 USD a month', ['fleet.cdn.monthly_usd=1e308'], 'fleet.cdn.monthly_usd', /at most 1,000,000,000,000 USD a month/],
  ['1e308 GB in S3', ['fleet.s3.stored_gb=1e308'], 'fleet.s3.stored_gb', /an exabyte/],
  ['a tier MTBF of 1e-300 h (the clock stood still; 4 GB in two minutes)', ['failures={tiers: {chat_api: {mtbf_h: 1e-300, mttr_min: 1}}}'], 'failures.tiers.chat_api.mtbf_h', /at least 0\.01 \(36 s\)/],
  ['a health check every 1e-300 s', ['detection={gpu: {interval_s: 1e-300, threshold: 3}}'], 'detection.gpu.interval_s', /at least 0\.001/],
];

describe('new scenario keys, hostile values: refused by validate in one line naming file and field', () => {
  it.each(REFUSED)('%s', async (_what, sets, field, expected) => {
    const r = await runMain(['validate', FILE, ...[...SMALL, ...sets].flatMap((s) => ['--set', s])]);
    expect(r.code, show(r)).toBe(2);
    // One line per problem (fleet.classes={} has two: no class, and shares that cannot sum to 1).
    const lines = r.stderr.replace(/\n$/, '').split('\n');
    expect(lines.length, show(r)).toBeLessThanOrEqual(2);
    for (const line of lines) {
      expect(line).not.toMatch(/internal error|\s+at \S+:\d+/);
      expect(line.startsWith(`${FILE}: `), show(r)).toBe(true);
    }
    expect(lines[0].startsWith(`${FILE}: ${field}`), show(r)).toBe(true);
    expect(lines[0]).toMatch(expected);
    expect(r.stdout, 'nothing reported valid').toBe('');
  });
});

describe('arrivals beyond the event budget: refused before anything runs', () => {
  it('a looped trace replayed at time_scale 1e-300 (every arrival at the same instant) is refused naming workload.arrivals.time_scale', async () => {
    const r = await runMain(['validate', 'scenarios/trace-replay.yaml', '--set', 'workload.arrivals.time_scale=1e-300']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr, show(r)).toMatch(/^scenarios\/trace-replay\.yaml: workload\.arrivals\.time_scale: the trace's 300 requests, looped and replayed at time_scale 1e-300 .* more than limits\.max_events/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a sweep point past the budget is refused before the first point runs, naming the point', async () => {
    const r = await runMain(['sweep', FILE, ...SMALL.flatMap((s) => ['--set', s]), '--vary', 'workload.arrivals.rate_per_s=10,1e12', '--quiet']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr, show(r)).toMatch(/--vary: at point 1: scenarios\/openai-2024\.yaml: workload\.arrivals\.rate_per_s: .* more than limits\.max_events/);
  });

  it('the budget is the scenario\'s own: 1.5e9 arrivals pass the default 2e9 events and are refused under limits.max_events 1e9', async () => {
    // 1.5e11 requests/s x fleet.scale 0.002 x 5 s
    const at = (limit: string[]) => runMain(['validate', FILE, ...[...SMALL, 'workload.arrivals.rate_per_s=1.5e11', ...limit].flatMap((s) => ['--set', s])]);
    const passes = await at([]);
    expect(passes.code, show(passes)).toBe(0);
    expect(passes.stderr, show(passes)).not.toMatch(/max_events/);
    const refused = await at(['limits.max_events=1000000000']);
    expect(refused.code, show(refused)).toBe(2);
    expect(refused.stderr, show(refused)).toMatch(/about 1,500,000,000 arrivals, more than limits\.max_events \(1,000,000,000\)/);
  });
});
