import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

/**
 * The twelfth hostile-input campaign of 2026-12-07 (calibrate and fidelity): the failures mended
 * that day, each failing on the code before. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-calibrate-twelfth-');
const HEADER = 'id,split,kind,statistic,value,unit,stack,stack_version,gpu,model,dtype,kv_dtype,tp,ep,batch,request_rate_per_s,num_requests,prompt_tokens,output_tokens,lengths';

/** TensorRT-LLM 0.9 offline throughput rows on one H200 (the hostile tester's c3.csv), by id suffix. */
const THROUGHPUT: Record<string, string> = {
  b896: 'throughput,mean,20618,output_tok_s,trtllm,0.9.0,h200,llama-2-7b,fp8,fp8,1,1,896,,896,128,128,fixed',
  b64: 'throughput,mean,2391,output_tok_s,trtllm,0.9.0,h200,llama-2-7b,fp8,fp8,1,1,64,,64,2048,128,fixed',
  b1024: 'throughput,mean,3989,output_tok_s,trtllm,0.9.0,h200,llama-2-70b,fp8,fp8,1,1,1024,,1024,128,128,fixed',
};

const corpusOf = (rows: readonly [id: string, cells: string][]) => [HEADER, ...rows.map(([id, cells]) => `${id},calibration,${cells}`)].join('\n') + '\n';

describe('calibrate: more factors than distinct configurations', () => {
  it('warns of twelve copies of one row under twelve ids as of one configuration (they passed as twelve rows, fitted MAPE 0.1%)', async () => {
    const copies = Array.from({ length: 12 }, (_, i): [string, string] => [`dup${i}`, THROUGHPUT.b896]);
    const corpus = tmp.write('c12.csv', corpusOf(copies));
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'trtllm', '--split', 'all', '--max-wall-s', '60']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/^calibrate: 12 rows \(1 distinct configuration\) to fit 12 factors: the fit cannot determine them.*; fit at most 1 with --fit/m);
  });
});

describe('fidelity: in-sample rows are known by what they measure, not by their file\'s name', () => {
  it('warns of the fitted rows copied to another file, and records them compactly in the profile', async () => {
    const rows = Object.entries(THROUGHPUT);
    const corpus = tmp.write('c3.csv', corpusOf(rows));
    const profile = join(tmp.dir(), 'fit3.json');
    const fit = await runMain(['calibrate', '--corpus', corpus, '--stack', 'trtllm', '--split', 'all', '--fit', 'step_overhead_ms', '--out', profile]);
    expect(fit.code, show(fit)).toBe(0);
    mkdirSync(join(tmp.dir(), 'cp'), { recursive: true });
    const copy = join(tmp.dir(), 'cp', 'mine.csv');
    copyFileSync(corpus, copy);
    const r = await runMain(['fidelity', '--calibration', profile, '--corpus', copy, '--split', 'all']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/^fidelity: 3 of the 3 rows to evaluate are rows .*fit3\.json was fitted on .*: their error is in-sample, not validation$/m);
    const record = (JSON.parse(readFileSync(profile, 'utf8')) as { fit: { rows?: string } }).fit.rows;
    // three rows' digests, not the rows: a profile stays small
    expect(record).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});

describe('calibrate: a fitted profile is not named as a built-in one', () => {
  it('names the profile of --out vllm.json "vllm-fitted", saying so', async () => {
    const corpus = tmp.write('named.csv', corpusOf(Object.entries(THROUGHPUT)));
    const out = join(tmp.dir(), 'vllm.json');
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'trtllm', '--split', 'all', '--fit', 'step_overhead_ms', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { name: string }).name).toBe('vllm-fitted');
    expect(r.stderr).toMatch(/^calibrate: the profile is named "vllm-fitted", not "vllm" \(the built-in engine profile's name\)/m);
  });

  it('keeps --name of a built-in profile (how the built-ins are fitted again), saying so', async () => {
    const corpus = tmp.write('renamed.csv', corpusOf(Object.entries(THROUGHPUT)));
    const out = join(tmp.dir(), 'mine.json');
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'trtllm', '--split', 'all', '--fit', 'step_overhead_ms', '--name', 'trtllm', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { name: string }).name).toBe('trtllm');
    expect(r.stderr).toMatch(/^calibrate: --name "trtllm" is a built-in engine profile's name: the fitted profile reads as the built-in/m);
  });
});
