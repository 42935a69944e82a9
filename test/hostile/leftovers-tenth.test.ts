import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { oneStationWithFaults } from '../helpers/scenario.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * What the tenth hostile-input campaign of 2026-12-07 left, mended the same evening: faults past
 * the run's end, flags one of which won without a word, an error budget every run meets, zod's
 * wording for a calibration profile, and perf's sliding-window note where no sequence passes the
 * window. Each test failed on the code before; docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-leftovers-tenth-');

const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

/** One station, 100 s, and the faults given (one a line of the faults list). */
const withFaults = (name: string, ...faults: string[]) => oneStationWithFaults(name, '', ...faults);

interface Band { index: number; start_s: number; detected_s: number | null; mitigated_s: number | null; end_s: number; recovered_s: number | null; measured?: string }

describe("faults past the run's end", () => {
  it('one set after the end is warned of, not simulated (the run said nothing of it)', async () => {
    const file = tmp.write('after-end.yaml', withFaults('after-end', '{ kind: latency, at_s: 100, duration_s: 20, target: api, factor: 20 }'));
    const out = join(tmp.dir(), 'after-end');
    const r = await runMain(['run', file, '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const summary = summaryOf(out);
    expect(summary.faults).toBeUndefined();
    const warning = summary.verdict.warnings.find((w: { code: string }) => w.code === 'fault_past_end');
    expect(warning?.message).toMatch(/^faults past the run's end \(100 s\): faults\[0\] \(latency on api, 100-120 s\) is set at or after it: not simulated, not measured/);
    expect(r.stdout).toMatch(/warning \(fault_past_end\)/);
  });

  it('one cut off by the end is reported up to the end, partly measured, and warned of (its end and recovery were 125 s of a 100-s run)', async () => {
    const file = tmp.write('cut-off.yaml', withFaults('cut-off', '{ kind: latency, at_s: 80, duration_s: 45, target: api, factor: 20 }'));
    const out = join(tmp.dir(), 'cut-off');
    const r = await runMain(['run', file, '--quiet', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const summary = summaryOf(out);
    const band = summary.faults[0] as Band;
    for (const t of [band.detected_s, band.mitigated_s, band.end_s, band.recovered_s]) if (t !== null) expect(t, JSON.stringify(band)).toBeLessThanOrEqual(summary.duration_s);
    expect(band.end_s).toBe(summary.duration_s);
    expect(band.recovered_s).toBeNull();
    expect(band.measured).toBe('partly');
    const codes = summary.verdict.warnings.map((w: { code: string }) => w.code);
    expect(codes).toContain('fault_past_end');
    expect(codes).not.toContain('fault_in_warmup');
    const warning = summary.verdict.warnings.find((w: { code: string }) => w.code === 'fault_past_end');
    expect(warning.message).toMatch(/faults\[0\] \(latency on api, 80-125 s\) outlasts it: reported up to 100 s only/);
  });

  it("replay says the cut fault did not recover within the run, not that it did not by itself", async () => {
    const file = tmp.write('replay-cut-off.yaml', withFaults('replay-cut-off', '{ kind: latency, at_s: 80, duration_s: 45, target: api, factor: 20 }'));
    const r = await runMain(['replay', file]);
    expect(r.code, show(r)).toBe(0);
    const faults = r.stdout.slice(r.stdout.indexOf('Faults'));
    expect(faults).toMatch(/latency +api +80 .* 100 +not within the run/);
  });
});

describe('--json with --format', () => {
  it.each([['vllm'], ['table'], ['json']])('run --json --format %s is refused naming both (one of them won without a word)', async (format) => {
    const out = join(tmp.dir(), `json-format-${format}`);
    const r = await runMain(['run', 'scenarios/quickstart.yaml', '--json', '--format', format, '--quiet', '--out', out]);
    expectRefusedInOneLine(r, /^--json: not with --format \(--json is --format json; give one of them\)$/, show(r));
    expect(r.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});

describe('fidelity --speculative', () => {
  it.each([
    [['--corpus', 'data/corpus'], '--corpus'],
    [['--split', 'all'], '--split'],
    [['--rate-scan'], '--rate-scan'],
  ])('with %j is refused naming the flag (it was read as if absent)', async (more, flag) => {
    const r = await runMain(['fidelity', '--speculative', ...more]);
    expectRefusedInOneLine(r, new RegExp(`^${flag}: not with --speculative \\(it reads data/corpus/speculative/, with --json only\\)$`), show(r));
  });

  it('with --json still runs', async () => {
    const r = await runMain(['fidelity', '--speculative', '--json']);
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(r.stdout).rows.length).toBeGreaterThan(0);
  });

  it('--disaggregation with --corpus is refused too', async () => {
    const r = await runMain(['fidelity', '--disaggregation', '--corpus', 'data/corpus']);
    expectRefusedInOneLine(r, /^--corpus: not with --disaggregation /, show(r));
  });
});

/** The quickstart's API with one server refusing what it cannot serve at once: about 90% of requests (test/hostile/reports-ninth.test.ts). */
const REFUSING = ['scenarios/quickstart.yaml', '--set', 'topology.stations.api.queue_limit=0', '--set', 'duration_s=300', '--set', 'warmup_s=10', '--set', 'window_s=5', '--set', 'topology.stations.api.servers=1'];

describe('an error budget every run meets does not bound the errors', () => {
  it.each([['requests.error_rate >= 0'], ['requests.error_rate <= 1']])('check: a p99 budget beside "%s" on a station refusing 90% is inconclusive (it passed)', async (vacuous) => {
    const budgets = tmp.write(`vacuous-${vacuous.includes('>') ? 'ge' : 'le'}.yaml`, `- latency_ms.e2e.p99 <= 700\n- ${vacuous}\n`);
    const r = await runMain(['check', ...REFUSING, '--budgets', budgets, '--quiet']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/so the latency describes only those that survived \(add an upper bound below 1 on requests\.error_rate/);
  });

  it('plan: an SLO requests.error_rate>=0 does not let a point refusing 90% meet a latency SLO', async () => {
    const out = join(tmp.dir(), 'plan-vacuous');
    const r = await runMain(['plan', ...REFUSING, '--slo', 'latency_ms.e2e.p99<=700', '--slo', 'requests.error_rate>=0', '--vary', 'topology.stations.api.servers=1,40', '--minimize', 'topology.stations.api.servers', '--out', out, '--quiet']);
    expect(r.code, show(r)).toBe(0);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    expect(plan.chosen?.values['topology.stations.api.servers'], show(r)).toBe(40);
  });
});

describe('an invalid --calibration file', () => {
  const VLLM_PROFILE = JSON.parse(readFileSync('src/perf/profiles/vllm.json', 'utf8')) as Record<string, unknown>;

  it.each([
    ['gemm_efficiency', 7, /gemm_efficiency: expected a number <= 1, got 7$/],
    ['gemm_efficiency', 'high', /gemm_efficiency: expected a number, got "high"$/],
    ['kv_cache_dtype', 'int3', /kv_cache_dtype: expected one of "weights", "activations", got "int3"$/],
    ['bogus_factor', 1, /bogus_factor: unknown key "bogus_factor"$/],
  ])('%s = %j is refused in fleetsim\'s words, naming the file (zod\'s: "Too big: expected number to be <=1")', async (field, value, pattern) => {
    const file = tmp.write(`calibration-${field}-${String(value)}.json`, JSON.stringify({ ...VLLM_PROFILE, [field]: value }));
    const r = await runMain(['perf', '--model', 'llama-3.1-8b', '--gpu', 'h100', '--calibration', file]);
    expectRefusedInOneLine(r, pattern, show(r));
    expect(r.stderr.startsWith(`${file}: ${field}: `), show(r)).toBe(true);
  });
});

describe('perf: a model whose every layer slides, served within its window', () => {
  /** A Gemma-3-12B-like config.json whose 48 layers all slide over `window` tokens (test/hostile/perf-ninth.test.ts). */
  const allSliding = (window: number) => tmp.write(`all-sliding-${window}.json`, JSON.stringify({
    model_type: 'gemma3_text', hidden_size: 3840, intermediate_size: 15360, num_hidden_layers: 48, num_attention_heads: 16,
    num_key_value_heads: 8, head_dim: 256, vocab_size: 262208, max_position_embeddings: 131072, sliding_window: window,
    torch_dtype: 'bfloat16', layer_types: Array.from({ length: 48 }, () => 'sliding_attention'),
  }));
  const knownBias = async (window: number, prompt: number) => {
    const r = await runMain(['perf', '--model-config', allSliding(window), '--gpu', 'h100', '--prompt', String(prompt), '--output', '100', '--json']);
    expect(r.code, show(r)).toBe(0);
    return (JSON.parse(r.stdout) as { known_bias?: string }).known_bias;
  };

  it('has no known bias where no sequence passes the window (it warned that its capacity was likely low)', async () => {
    expect(await knownBias(4096, 1000)).toBeUndefined();
    expect(await knownBias(1_000_000, 100_000)).toBeUndefined();
  });

  it('keeps it where the sequence passes the window', async () => {
    expect(await knownBias(4096, 10_000)).toMatch(/every one of its 48 layers slides over a 4,096-token window.*conservative past the window/);
  });
});
