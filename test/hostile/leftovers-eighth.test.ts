import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { REPO, show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { Simulator } from '../../src/engine/sim.ts';
import { GpuReplica } from '../../src/fleet/gpu/replica.ts';
import { BASE_CFG, Recorder, linearStep } from '../gpu/helpers.ts';

/**
 * What the eighth hostile campaign of 2026-12-07 left, mended: KV tiers at their bounds counted
 * the prefix hits of fetches that never ended as savings, `plan --fleet` said "0 fit their GPUs"
 * without saying why, disaggregated pools' messages named an internal label for their fields,
 * `sweep --vary` of a GPU the engine cannot run blamed the scenario file, and a mapping key
 * written 1e-400 read as the name "0".
 */
const tmp = suiteTempDir('fleetsim-hostile-leftovers-eighth-');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TWO_MODELS = 'test/experiment/fixtures/fleet-plan-two-models.yaml';

/** A scenario over `base` (a path in the repository) with `yaml` appended, in the suite's directory. */
const over = (name: string, base: string, yaml: string) => tmp.write(name, `extends: ${join(REPO, base)}\n${yaml}`);

describe('KV tiers at their bounds', () => {
  // a block is 16 tokens of 1 MB: 16 MB, 1.6 s at the bound's 0.01 GB/s, after 10 s of latency
  const BLOCK = 16, PREFIX = 64 * BLOCK, OWN = 60;
  const slowHost = { capacity_gb: 100, bandwidth_gb_per_s: 0.01, latency_ms: 10_000 };

  it('a prefix hit whose fetch has not ended counts no tokens saved, no tier hit and no transfer time; once it ends, all of them', () => {
    const sim = new Simulator();
    const rec = new Recorder();
    // HBM holds 100 blocks: the second and third prompts evict the first one's blocks to the host tier
    const replica = new GpuReplica(sim, { ...linearStep({ kvTokens: 100 * BLOCK }), kvBytesPerToken: 1e6 }, { ...BASE_CFG, kv_tiers: { host: slowHost } }, rec);
    for (const id of [0, 1, 2, 0]) {
      replica.submit(rec.add(PREFIX + OWN, 4, sim.now_ms), PREFIX + OWN, 4, id, PREFIX);
      sim.run(sim.now_ms + 1_000);
    }
    // the fourth request waits for its 64 blocks from the host (10 s + 102.4 s)
    const waiting = replica.stats();
    expect(waiting.cached_prompt_tokens).toBe(0);
    expect(waiting.host_hit_tokens).toBe(0);
    expect(waiting.kv_transfer_ms).toBe(0);
    expect(waiting.kv_transfer_unfinished_ms).toBeCloseTo(1_000, 6);
    sim.run();
    const done = replica.stats();
    expect(rec.reqs[3].done).toBeGreaterThan(0);
    expect(done.cached_prompt_tokens).toBe(PREFIX);
    expect(done.host_hit_tokens).toBe(PREFIX);
    expect(done.kv_transfer_ms).toBeCloseTo(10_000 + 64 * 1_600, 6);
    expect(done.kv_transfer_unfinished_ms).toBe(0);
  });

  it("a run whose fetches outlast it counts no more transfer time than its replicas' clock, and says the tier's fetch time dominates", async () => {
    const file = over('kv-bounds.yaml', 'scenarios/kv-offload.yaml', 'duration_s: 240\nwarmup_s: 10\nfleet:\n  models:\n    chat:\n      kv_tiers:\n        host: { capacity_gb: 1000, bandwidth_gb_per_s: 0.01, latency_ms: 10000 }\n');
    const out = join(tmp.dir(), 'kv-bounds');
    const r = await runMain(['run', file, '--allow-path', REPO, '--quiet', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const g = s.gpu.chat;
    // it was 1,140 s on 4 replicas in 120 s: the fetches planned, not those that ended
    expect(g.kv_transfer_s).toBeLessThanOrEqual(g.replicas * s.duration_s);
    const warning = s.verdict.warnings.find((w: { code: string }) => w.code === 'kv_tier_bound');
    expect(warning?.message).toMatch(/^chat: iterations waited [\d,.]+ s for KV-tier transfers \([\d,.]+ s of them still under way at the end\), [\d.]+% of its replicas' measured time: the tiers' bandwidth and latency, not the GPUs, set the pace, and prefix savings count only the fetches that ended/);
  });
});

describe('plan --fleet says why no option fits', () => {
  it("engine trtllm on MI300X: the model's line gives the reason every option was pruned (it said only \"0 fit their GPUs\")", async () => {
    const out = join(tmp.dir(), 'plan-trtllm');
    const r = await runMain(['plan', TWO_MODELS, '--fleet', '--gpus', 'mi300x', '--tp', '1,2', '--jobs', '1', '--set', 'fleet.models.chat.engine=trtllm', '--out', out]);
    const line = r.stdout.split('\n').find((l) => l.startsWith('chat ('));
    expect(line, show(r)).toMatch(/0 fit their GPUs/);
    expect(line).toMatch(/; all 2 options: cannot run: fleet\.models\.chat\.engine trtllm on fleet\.models\.chat\.gpu mi300x: expected an NVIDIA GPU \(TensorRT-LLM runs on CUDA only; .*\)$/);
  });
});

describe("disaggregated pools' messages name the scenario's fields", () => {
  it('a pool whose GPU the engine cannot run names the model\'s engine and the pool\'s gpu (it said fleet.models.<m>:prefill.engine)', async () => {
    const file = over('pool-engine.yaml', 'scenarios/disaggregated.yaml', 'fleet:\n  models:\n    disaggregated:\n      engine: trtllm\n      disaggregation:\n        prefill: { gpus: 6, gpu: mi300x }\n');
    const r = await runMain(['validate', file, '--allow-path', REPO]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}: fleet\\.models\\.disaggregated\\.engine trtllm on fleet\\.models\\.disaggregated\\.disaggregation\\.prefill\\.gpu mi300x: expected an NVIDIA GPU`), show(r));
  });

  it("a pool's tp the model's heads cannot be split over names the pool's tp", async () => {
    const file = over('pool-tp.yaml', 'scenarios/disaggregated.yaml', 'fleet:\n  models:\n    disaggregated:\n      disaggregation:\n        prefill: { gpus: 6, tp: 3 }\n');
    const r = await runMain(['validate', file, '--allow-path', REPO]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}: fleet\\.models\\.disaggregated\\.disaggregation\\.prefill\\.tp: llama-2-13b: 40 attention heads cannot be split over tp=3 GPUs$`), show(r));
  });
});

describe('sweep --vary of a value the engine cannot run names the flag and the point', () => {
  it('--vary fleet.models.chat.gpu=l4,mi300x with engine trtllm (it blamed the scenario file), writing nothing', async () => {
    const out = join(tmp.dir(), 'vary-gpu');
    const r = await runMain(['sweep', TWO_MODELS, '--set', 'fleet.models.chat.engine=trtllm', '--vary', 'fleet.models.chat.gpu=l4,mi300x', '--set', 'duration_s=20', '--quiet', '--out', out]);
    expectRefusedInOneLine(r, new RegExp(`^--vary: at point 1 \\(fleet\\.models\\.chat\\.gpu=mi300x\\): ${escape(TWO_MODELS)}: fleet\\.models\\.chat\\.engine trtllm on fleet\\.models\\.chat\\.gpu mi300x: expected an NVIDIA GPU`), show(r));
    expect(existsSync(out)).toBe(false);
  });

  it('at point 0 too; and a problem every point shares still names the scenario alone', async () => {
    const first = await runMain(['sweep', TWO_MODELS, '--vary', 'fleet.models.chat.engine=trtllm,vllm', '--set', 'fleet.models.chat.gpu=mi300x', '--quiet']);
    expectRefusedInOneLine(first, /^--vary: at point 0 \(fleet\.models\.chat\.engine=trtllm\): .*expected an NVIDIA GPU/, show(first));
    const shared = await runMain(['sweep', TWO_MODELS, '--vary', 'duration_s=20,30', '--set', 'fleet.models.chat.gpu=mi300x', '--set', 'fleet.models.chat.engine=trtllm', '--quiet']);
    expectRefusedInOneLine(shared, new RegExp(`^${escape(TWO_MODELS)}: fleet\\.models\\.chat\\.engine trtllm on fleet\\.models\\.chat\\.gpu mi300x: expected an NVIDIA GPU`), show(shared));
  });
});

describe('a mapping key written as a number that reads as 0', () => {
  it('a station named 1e-400 is refused naming the file, line and key (it read as the station "0")', async () => {
    const file = over('key.yaml', 'scenarios/quickstart.yaml', 'topology:\n  stations:\n    1e-400:\n      servers: 4\n      service_ms: { dist: constant, value: 10 }\n');
    const r = await runMain(['validate', file, '--allow-path', REPO]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:4:5: topology\\.stations: expected a key that does not read as a number rounding to 0 \\(quote it to keep it a name: "1e-400"\\), got 1e-400$`), show(r));
  });

  it('quoted, it is a name; a key written 0 is the name "0" as before', async () => {
    const quoted = over('quoted.yaml', 'scenarios/quickstart.yaml', 'topology:\n  stations:\n    "1e-400":\n      servers: 4\n      service_ms: { dist: constant, value: 10 }\n');
    expect((await runMain(['validate', quoted, '--allow-path', REPO])).code).toBe(0);
    const zero = over('zero.yaml', 'scenarios/quickstart.yaml', 'topology:\n  stations:\n    0:\n      servers: 4\n      service_ms: { dist: constant, value: 10 }\n');
    expect((await runMain(['validate', zero, '--allow-path', REPO])).code).toBe(0);
  });

  it('in a --set value too, named by the flag', async () => {
    const r = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'topology.stations={1e-400: {servers: 1, service_ms: 5}}']);
    expectRefusedInOneLine(r, /^--set topology\.stations=\{1e-400: \{servers: 1, service_ms: 5\}\}: topology\.stations: expected a key that does not read as a number rounding to 0 \(quote it to keep it a name: "1e-400"\), got 1e-400$/, show(r));
  });
});
