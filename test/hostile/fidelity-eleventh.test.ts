import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * The eleventh hostile-input campaign of 2026-12-07 (fidelity, calibrate, perf's config files):
 * the failures mended that day, each failing on the code before. docs/hostile-inputs.md lists
 * them, and the ones left.
 */
const tmp = suiteTempDir('fleetsim-hostile-fidelity-eleventh-');
const HEADER = 'id,split,kind,statistic,value,unit,stack,stack_version,gpu,model,dtype,kv_dtype,tp,ep,batch,request_rate_per_s,num_requests,prompt_tokens,output_tokens,lengths';

/** Decode rows of Llama 2 70B on two A100s at the given batches, step times in ms (the hostile tester's valset.csv). */
function decodeRows(split: string, steps: readonly [batch: number, step_ms: number][]): string {
  const rows = steps.map(([batch, ms]) => `b${batch},${split},decode,mean,${ms},ms,vllm,0.8.0,a100-80gb,llama-2-70b,fp16,,2,1,${batch},,,512,128,fixed`);
  return [HEADER, ...rows].join('\n') + '\n';
}
const STEPS: [number, number][] = [[1, 41.5], [2, 42.5], [4, 44.5], [8, 48.5], [16, 56.5], [32, 60.5]];

describe('fidelity: an in-sample error is not presented as validation', () => {
  it('warns on stderr and in the JSON when the --calibration profile was fitted on the rows evaluated', async () => {
    const corpus = tmp.write('valset.csv', decodeRows('validation', STEPS));
    const profile = join(tmp.dir(), 'insample.json');
    const fit = await runMain(['calibrate', '--corpus', corpus, '--split', 'all', '--stack', 'vllm', '--fit', 'step_overhead_ms,per_seq_overhead_us', '--out', profile]);
    expect(fit.code, show(fit)).toBe(0);
    const text = await runMain(['fidelity', '--corpus', corpus, '--calibration', profile]);
    expect(text.code, show(text)).toBe(0);
    expect(text.stderr).toMatch(/^fidelity: 6 of the 6 rows to evaluate are rows .*insample\.json was fitted on \(its fit\.corpus: "valset\.csv, all split, stack vllm"\): their error is in-sample, not validation\n$/);
    const json = await runMain(['fidelity', '--corpus', corpus, '--calibration', profile, '--json']);
    const doc = JSON.parse(json.stdout) as { in_sample: boolean; in_sample_rows: number; warnings: string[] };
    expect(doc.in_sample).toBe(true);
    expect(doc.in_sample_rows).toBe(6);
    expect(doc.warnings[0]).toMatch(/in-sample, not validation/);
  });

  it('says nothing of a profile fitted on another file, and warns of the built-in profiles on the rows they were fitted on', async () => {
    const other = tmp.write('other.csv', decodeRows('calibration', STEPS));
    // other measurements of the same configurations: the same rows would be in-sample in any file (fit.rows)
    const corpus = tmp.write('heldout.csv', decodeRows('validation', STEPS.map(([batch, ms]) => [batch, ms + 0.5])));
    const profile = join(tmp.dir(), 'other.json');
    expect((await runMain(['calibrate', '--corpus', other, '--stack', 'vllm', '--fit', 'step_overhead_ms', '--out', profile])).code).toBe(0);
    const heldOut = await runMain(['fidelity', '--corpus', corpus, '--calibration', profile, '--json']);
    expect(heldOut.stderr, show(heldOut)).toBe('');
    expect((JSON.parse(heldOut.stdout) as { in_sample: boolean }).in_sample).toBe(false);
    // the shipped profiles' fit.corpus name open.csv's calibration rows (--max-wall-s: the warning comes before the rows are predicted)
    const builtIn = await runMain(['fidelity', '--corpus', 'data/corpus/open.csv', '--split', 'calibration', '--max-wall-s', '1']);
    expect(builtIn.stderr).toMatch(/^fidelity: \d+ of the \d+ rows to evaluate are rows their stacks' profiles were fitted on \(\S+: "[^"]*open\.csv[^"]*, calibration split, stack .*\): their error is in-sample, not validation$/m);
  });
});

describe('calibrate: more factors than rows', () => {
  it('warns that one batch-1 decode row cannot determine twelve factors, names the GEMM factors, and names the profile after its file', async () => {
    const corpus = tmp.write('one.csv', decodeRows('calibration', [[1, 54.84]]));
    const out = join(tmp.dir(), 'one-row.json');
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'vllm', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/^calibrate: 1 row to fit 12 factors: the fit cannot determine them.*; these rows cannot constrain gemm_efficiency, gemm_half_tokens, attention_efficiency.*; fit at most 1 with --fit/m);
    const profile = JSON.parse(readFileSync(out, 'utf8')) as { name: string; stack: string };
    expect(profile.name).toBe('one-row');
    expect(profile.stack).toMatch(/^fitted from one\.csv, calibration split, stack vllm \(base vllm/);
  });

  it('says nothing when --fit leaves no more factors than rows; without --out the profile is the base\'s name, fitted', async () => {
    const corpus = tmp.write('two.csv', decodeRows('calibration', [[1, 54.84], [8, 60]]));
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'vllm', '--fit', 'step_overhead_ms,per_seq_overhead_us', '--json']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toBe('');
    const { profile } = JSON.parse(r.stdout) as { profile: { name: string; stack: string } };
    expect(profile.name).toBe('vllm-fitted');
    expect(profile.stack).toMatch(/^fitted from two\.csv/);
  });
});

describe('a corpus value is bounded however it is written', () => {
  it('refuses 0.0000000000000000000001 and 100000000000000000000000000000000000 as it refused 1e-300 and 1e308', async () => {
    for (const value of ['0.0000000000000000000001', '100000000000000000000000000000000000']) {
      const file = tmp.write('plain.csv', decodeRows('validation', [[1, 1]]).replace(',1,ms,', `,${value},ms,`));
      const r = await runMain(['fidelity', '--corpus', file, '--rows']);
      expectRefusedInOneLine(r, new RegExp(`^${file}:2: value: expected a plain decimal number from 0\\.000001 to 1000000000, got "${value}"$`), show(r));
    }
  });

  it('calibrate leaves out, naming it, a row slower than any profile allows (it was fitted, driving the profile to a MAPE of 1294%)', async () => {
    const corpus = tmp.write('slow.csv', decodeRows('calibration', [...STEPS.slice(0, 5), [32, 900000000]]));
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'vllm', '--json']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/^calibrate: 1 row left out, .*slow\.csv:7: b32: value: slower than any profile allows \(decode 900000000 ms, at most .* ms possible\)/m);
    expect((JSON.parse(r.stdout) as { profile: { fit: { points: number } } }).profile.fit.points).toBe(5);
  });

  it('a fit driven past a factor\'s bound is refused in words, naming the points it chased', async () => {
    const splitwise = readFileSync('scenarios/data/splitwise/llama2-70b-a100.csv', 'utf8').split('\n')[0];
    // a run timed in microseconds: within what the slowest profile allows (a run of 1e308 ms is left
    // out as slower than any, since 2026-12-07), beyond what step_overhead_ms alone can reach
    const measurements = tmp.write('huge.csv', `${splitwise}\nllama2-70b,a100-80gb,512,1,128,1,0.7,196253,54879,7168983,2\n`);
    const r = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms']);
    expectRefusedInOneLine(r, /: the fit drove step_overhead_ms to \S+, outside its bounds 0 to 10000 \(not a profile fleetsim could load\), chasing the points furthest from the base profile: tp2-p512-b1-o128-/, show(r));
    expect(r.stderr).not.toMatch(/Too big|expected number to be/);
  });
});

describe('perf --model-config: an MLP width tp does not divide', () => {
  it('refuses intermediate_size 11009 at --tp 2 in one line naming the file, the field and tp', async () => {
    const config = JSON.parse(readFileSync('test/perf/fixtures/llama-2-7b/config.json', 'utf8')) as Record<string, unknown>;
    const file = tmp.write('inter-odd.json', JSON.stringify({ ...config, intermediate_size: 11009 }));
    const r = await runMain(['perf', '--model-config', file, '--gpu', 'a100-80gb', '--tp', '2']);
    expectRefusedInOneLine(r, new RegExp(`^--tp: .*: an MLP width of 11009 cannot be split over tp=2 GPUs \\(intermediate_size in ${file}\\)$`), show(r));
    const one = await runMain(['perf', '--model-config', file, '--gpu', 'a100-80gb', '--tp', '1']);
    expect(one.code, show(one)).toBe(0);
  });
});
