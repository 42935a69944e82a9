import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { REPO, show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine, userError } from '../helpers/errors.ts';
import { parseCorpus } from '../../src/fidelity/corpus.ts';

/**
 * The seventh hostile-input campaign of 2026-12-07 (calibrate, fidelity corpora): the failures of
 * `calibrate` and the corpus loader mended that day, each failing on the code before.
 * docs/hostile-inputs.md lists them, and the ones left.
 */
const tmp = suiteTempDir('fleetsim-hostile-calibrate-');
const HEADER = 'id,split,kind,value,unit,stack,gpu,model,dtype,tp,batch,prompt_tokens,output_tokens';
const SPLITWISE = readFileSync('scenarios/data/splitwise/llama2-70b-a100.csv', 'utf8').split('\n').filter((l) => l !== '');

/** `count` plausible decode rows of Llama 3.1 8B on one H100, batch and prompt varied. */
function decodeRows(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const batch = 1 + (i % 64), prompt = 128 * (1 + (i % 16));
    return `r${i},calibration,decode,${(8 + batch * 0.05 + prompt * 0.001).toFixed(3)},ms,vllm,h100-80gb,llama-3.1-8b,bf16,1,${batch},${prompt},256`;
  });
}

/** Decode rows of Llama 3.1 70B on 8 H100 at a tenth of a microsecond: faster than any hardware. */
const IMPOSSIBLE = ['f1,calibration,decode,0.0001,ms,vllm,h100-80gb,llama-3.1-70b,bf16,8,1024,128,256', 'f2,calibration,decode,0.0002,ms,vllm,h100-80gb,llama-3.1-70b,bf16,8,512,128,256'];

describe('calibrate --corpus and signals', () => {
  it('SIGTERM during the fit of 5,000 closed-form rows stops it at once, exit 143, writing nothing (the fit held the thread: killed after the grace period, 137)', async () => {
    const corpus = tmp.write('b5k.csv', [HEADER, ...decodeRows(5000)].join('\n') + '\n');
    const out = join(tmp.dir(), 'b5k-profile.json');
    const child = spawn(process.execPath, ['src/cli/fleetsim.mjs', 'calibrate', '--corpus', corpus, '--stack', 'vllm', '--out', out], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    let ended = false;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => ((ended = true), resolve(code))));
    // start-up takes seconds on a loaded machine; the fit, over 20 s: the signal lands inside it
    await new Promise((r) => setTimeout(r, 5000));
    expect(ended, stderr).toBe(false);
    const t0 = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect(performance.now() - t0, stderr).toBeLessThan(5000);
    expect(code, stderr).toBe(143);
    expect(stderr).toContain('terminated (SIGTERM); nothing written');
    expect(existsSync(out)).toBe(false);
  }, 90_000);
});

describe('calibrate --corpus: rows faster than the roofline', () => {
  it('leaves them out, saying on stderr how many and which, and fits the others', async () => {
    const corpus = tmp.write('some-fast.csv', [HEADER, ...IMPOSSIBLE, ...decodeRows(40)].join('\n') + '\n');
    const out = join(tmp.dir(), 'some-fast.json');
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'vllm', '--fit', 'step_overhead_ms', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/^calibrate: 2 rows left out, faster than the roofline allows .*some-fast\.csv:2: f1: value: .*; .*some-fast\.csv:3: f2: value:/);
    const profile = JSON.parse(readFileSync(out, 'utf8')) as { fit: { points: number; mape_pct: number } };
    expect(profile.fit.points).toBe(40);
    // the impossible rows drove the error to 927,940,412% and every factor to its peak
    expect(profile.fit.mape_pct).toBeLessThan(100);
  });

  it('refuses a corpus whose every row is one, naming the file and row, and writes nothing', async () => {
    const corpus = tmp.write('all-fast.csv', [HEADER, ...IMPOSSIBLE].join('\n') + '\n');
    const out = join(tmp.dir(), 'all-fast.json');
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'vllm', '--out', out]);
    expectRefusedInOneLine(r, /all-fast\.csv:2: f1: value: faster than the roofline allows \(decode 0\.0001 ms, at least .* ms possible\), and so is the other one: nothing left to fit \(expected times in ms/, show(r));
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a corpus whose every row fleetsim cannot model, saying why (it said "no measurements ... (batch-level kinds only)" of batch-level rows)', async () => {
    const amd = ['x1,calibration,decode,10,ms,trtllm,mi300x,llama-3.1-8b,fp8,1,32,1024,256', 'x2,calibration,decode,11,ms,trtllm,mi300x,llama-3.1-8b,fp8,1,64,1024,256'];
    const corpus = tmp.write('amd.csv', [HEADER, ...amd].join('\n') + '\n');
    const out = join(tmp.dir(), 'amd.json');
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'trtllm', '--out', out]);
    expectRefusedInOneLine(r, /amd\.csv: no row of stack trtllm that fleetsim can model: x1: TensorRT-LLM runs on NVIDIA GPUs only, not mi300x \(and the other row, each for its own reason/, show(r));
    expect(existsSync(out)).toBe(false);
  });
});

describe('calibrate --out', () => {
  it('is checked before the fit: under a regular file it is refused before the corpus is read (it failed after the whole fit)', async () => {
    const corpus = tmp.write('checked-first.csv', [HEADER, ...IMPOSSIBLE].join('\n') + '\n');
    const file = tmp.write('a-file', 'not a directory\n');
    const r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'vllm', '--out', join(file, 'p.json')]);
    expectRefusedInOneLine(r, /^--out .*a-file\/p\.json: .*a-file is not a directory$/, show(r));
    expect(readFileSync(file, 'utf8')).toBe('not a directory\n');
  });

  it('makes the directories it names (the fit ran, then the write failed: ENOENT)', async () => {
    const measurements = tmp.write('for-new-dir.csv', SPLITWISE.slice(0, 40).join('\n') + '\n');
    const out = join(tmp.dir(), 'new', 'dir', 'p.json');
    const r = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toHaveProperty('step_overhead_ms');
  });
});

describe('calibrate --measurements: messages and --gpu', () => {
  /** The Splitwise file with its two timings scaled by `factor` (seconds: 1/1000; microseconds: 1000). */
  function scaled(name: string, factor: number): string {
    const cells = SPLITWISE[0].split(',');
    const prompt = cells.indexOf('prompt_time'), token = cells.indexOf('token_time');
    const rows = SPLITWISE.slice(1, 40).map((line) => {
      const c = line.split(',');
      c[prompt] = String(Number(c[prompt]) * factor);
      c[token] = String(Number(c[token]) * factor);
      return c.join(',');
    });
    return tmp.write(name, [SPLITWISE[0], ...rows].join('\n') + '\n');
  }

  it('timings in seconds (every run left out) are refused naming the file and the unit expected (it said: no measurements of stack "measured")', async () => {
    const file = scaled('seconds.csv', 1 / 1000);
    const r = await runMain(['calibrate', '--measurements', file, '--fit', 'step_overhead_ms']);
    expectRefusedInOneLine(r, /seconds\.csv: line 2: faster than the roofline allows .*, and so are the other 38: nothing left to fit \(expected prompt_time and token_time in milliseconds\)$/, show(r));
    expect(r.stderr.startsWith(file)).toBe(true);
  });

  it('timings in microseconds are refused naming the file and the unit expected', async () => {
    const file = scaled('micro.csv', 1000);
    const r = await runMain(['calibrate', '--measurements', file]);
    expectRefusedInOneLine(r, /micro\.csv: the fit drove \w+ to .*outside its bounds .*expected times in milliseconds/, show(r));
    expect(r.stderr.startsWith(file)).toBe(true);
  });

  it('--gpu takes the aliases perf takes (h100 was refused as unknown)', async () => {
    const file = tmp.write('h100.csv', SPLITWISE.slice(0, 20).join('\n') + '\n');
    const r = await runMain(['calibrate', '--measurements', file, '--gpu', 'h100', '--fit', 'step_overhead_ms', '--json']);
    expect(r.code, show(r)).toBe(0);
    expect((JSON.parse(r.stdout) as { points: unknown[] }).points.length).toBeGreaterThan(0);
  });
});

describe('corpus loader', () => {
  const refused = (row: string, engineArgs?: string) => {
    const text = engineArgs === undefined ? `${HEADER}\n${row}\n` : `${HEADER},stack_version,engine_args\n${row},${engineArgs}\n`;
    return userError(() => parseCorpus(text, 'c.csv'));
  };
  const DECODE = 'd1,calibration,decode,9.8,ms,vllm,h100-80gb,llama-3.1-8b,bf16,1,8,128';

  it('refuses a decode row of one output token (no decode step makes it)', () => {
    expect(refused(`${DECODE},1`)).toBe('c.csv:2: output_tokens: expected at least 2 for kind decode (the first output token comes from the prefill; a decode step makes each one after it), got "1"');
    expect(parseCorpus(`${HEADER}\n${DECODE},2\n`, 'c.csv')).toHaveLength(1);
  });

  it('refuses num_requests on a static-batch row unless it is the batch (it was ignored, as request_rate_per_s there is refused)', () => {
    const header = `${HEADER},num_requests`;
    expect(userError(() => parseCorpus(`${header}\n${DECODE},256,1000\n`, 'c.csv'))).toBe("c.csv:2: num_requests: expected blank or the batch (8) for kind decode (a static batch's requests are its batch; num_requests is of offline and serving runs), got \"1000\"");
    // the shipped latency and prefill rows state their batch's requests so
    expect(parseCorpus(`${header}\n${DECODE},256,8\n`, 'c.csv')[0].num_requests).toBe(8);
  });

  it('refuses settings a stack or release did not have, naming the field', () => {
    expect(refused(`${DECODE},256,0.7.3`, 'async_scheduling=true')).toMatch(/^c\.csv:2: engine_args: expected async_scheduling=true only on vLLM 0\.8 or later .*, got "async_scheduling=true"$/);
    const sglang = `${DECODE.replace(',vllm,', ',sglang,')},256,0.4.1`;
    expect(refused(sglang, 'num_scheduler_steps=8')).toMatch(/^c\.csv:2: engine_args: expected num_scheduler_steps only on a vLLM row \(vLLM's multi-step scheduling; this one is sglang\), got "num_scheduler_steps=8"$/);
    expect(refused(`${DECODE},256,0.5.4`, 'num_scheduler_steps=8')).toMatch(/^c\.csv:2: engine_args: expected num_scheduler_steps only on vLLM 0\.6 or later/);
    // what the releases had stays accepted
    expect(parseCorpus(`${HEADER},stack_version,engine_args\n${DECODE},256,0.6.1,num_scheduler_steps=10\n`, 'c.csv')[0].engine_args).toEqual({ num_scheduler_steps: 10 });
    expect(parseCorpus(`${HEADER},stack_version,engine_args\n${DECODE},256,0.7.3,async_scheduling=false\n`, 'c.csv')[0].engine_args).toEqual({ async_scheduling: false });
  });
});
