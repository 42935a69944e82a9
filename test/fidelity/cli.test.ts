import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { registerFidelity } from '../../src/fidelity/cli-fidelity.ts';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRowsYielding, WALL_SPENT_REASON } from '../../src/fidelity/predict-yielding.ts';
import { CLIENT_GAP_MS } from '../../src/fidelity/predict.ts';
import { fleetsim, show } from '../helpers/cli.ts';
import { baseCells, csvText, FIXTURE, fixtureText, writeTemp } from './helpers.ts';

interface JsonRow { id: string; split: string; measured: number; predicted: number; error_pct: number }

async function run(args: string[]): Promise<string> {
  const program = new Command('fleetsim').exitOverride();
  registerFidelity(program);
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['node', 'fleetsim', 'fidelity', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('fleetsim fidelity', () => {
  it('--json: rows, their errors and an overall MAPE that follows from them', async () => {
    const t = JSON.parse(await run(['--corpus', FIXTURE, '--split', 'all', '--json']));
    const ids = fixtureText().trimEnd().split('\n').slice(1).map((l) => l.split(',')[0]);
    expect(t.rows_in_corpus).toBe(ids.length);
    expect(t.evaluated + t.not_evaluated.reduce((n: number, s: { count: number }) => n + s.count, 0)).toBe(ids.length);
    expect(t.not_evaluated).toEqual([{ reason: 'unknown model synthetic-model-1t', count: 1, ids: ['synthetic-unknown-model-decode'] }]);
    for (const r of t.rows as JsonRow[]) expect(r.error_pct).toBeCloseTo((100 * (r.predicted - r.measured)) / r.measured, 9);
    const mape = (t.rows as JsonRow[]).reduce((s, r) => s + Math.abs(r.error_pct), 0) / t.rows.length;
    expect(t.overall.mape_pct).toBeCloseTo(mape, 9);
    expect(process.exitCode).toBeUndefined();
  });

  it('--corpus DIR reads the directory\'s own CSV files in name order, as if each were named; an empty one is refused', async () => {
    const split = fixtureText().trimEnd().split('\n');
    const [head, rows] = [split[0], split.slice(1)];
    const half = Math.ceil(rows.length / 2);
    const paths = writeTemp({ 'a.csv': [head, ...rows.slice(0, half)].join('\n') + '\n', 'b.csv': [head, ...rows.slice(half)].join('\n') + '\n', 'notes.md': 'not a corpus file\n' });
    const dir = paths['a.csv'].replace(/[\\/]a\.csv$/, '');
    const byDir = JSON.parse(await run(['--corpus', dir, '--split', 'all', '--json']));
    const byFiles = JSON.parse(await run(['--corpus', paths['a.csv'], paths['b.csv'], '--split', 'all', '--json']));
    expect(byDir.corpus).toEqual([paths['a.csv'], paths['b.csv']]);
    expect(byDir.rows).toEqual(byFiles.rows);
    expect(byDir.rows_in_corpus).toBe(rows.length);
    const empty = writeTemp({ 'readme.txt': 'x\n' })['readme.txt'].replace(/[\\/]readme\.txt$/, '');
    await expect(run(['--corpus', empty])).rejects.toThrow(/no corpus files \(\*\.csv\)/);
  });

  it('--corpus "" (an empty path) is refused naming the flag, where its error named no file (": cannot read corpus file")', async () => {
    const r = await fleetsim(['fidelity', '--corpus', '']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toBe('--corpus: expected a corpus CSV file or a directory of them, got an empty path\n');
  });

  it('evaluates the validation split by default', async () => {
    const t = JSON.parse(await run(['--corpus', FIXTURE, '--json']));
    const validation = fixtureText().split('\n').filter((l) => l.split(',')[1] === 'validation').map((l) => l.split(',')[0]);
    expect(t.split).toBe('validation');
    expect([...t.rows.map((r: JsonRow) => r.id), ...t.not_evaluated.flatMap((s: { ids: string[] }) => s.ids)].sort()).toEqual(validation.sort());
  });

  it('--max-mape: exit status 1 above the bound, 0 at or below it', async () => {
    const t = JSON.parse(await run(['--corpus', FIXTURE, '--split', 'all', '--json']));
    const mape = t.overall.mape_pct as number;
    await run(['--corpus', FIXTURE, '--split', 'all', '--max-mape', String(Math.ceil(mape))]);
    expect(process.exitCode).toBeUndefined();
    await run(['--corpus', FIXTURE, '--split', 'all', '--max-mape', String(Math.floor(mape) - 1)]);
    expect(process.exitCode).toBe(1);
  });

  it('--max-error: exit status 1 when a row is beyond the bound, 0 when every row is within it', async () => {
    const t = JSON.parse(await run(['--corpus', FIXTURE, '--split', 'all', '--json']));
    const worst = Math.max(...(t.rows as JsonRow[]).map((r) => Math.abs(r.error_pct)));
    await run(['--corpus', FIXTURE, '--split', 'all', '--max-error', String(Math.ceil(worst))]);
    expect(process.exitCode).toBeUndefined();
    await run(['--corpus', FIXTURE, '--split', 'all', '--max-error', String(Math.floor(worst) - 1)]);
    expect(process.exitCode).toBe(1);
    await expect(run(['--corpus', FIXTURE, '--max-error', '-5'])).rejects.toThrow(UserError);
  });

  it('--max-wall-s: the rows left when the wall time runs out are not evaluated, saying why', async () => {
    const rows = loadCorpus([FIXTURE]);
    let calls = 0;
    // a clock with time for two rows only
    const predictions = await predictRowsYielding(rows, {}, () => (calls++ < 2 ? 1 : 0));
    expect(predictions.filter((p) => p.status !== 'not_evaluated' || p.reason !== WALL_SPENT_REASON)).toHaveLength(2);
    expect(predictions.slice(2).every((p) => p.status === 'not_evaluated' && p.reason === WALL_SPENT_REASON)).toBe(true);
    expect(predictions.map((p) => p.id)).toEqual(rows.map((r) => r.id));
    await expect(run(['--corpus', FIXTURE, '--max-wall-s', '0'])).rejects.toThrow(new UserError('--max-wall-s: expected seconds in (0, 604800], got "0"'));
    await expect(run(['--corpus', FIXTURE, '--max-wall-s', '1e9'])).rejects.toThrow(UserError);
  });

  it('--samples: a finite run of drawn lengths is read with that many seeds, flagged with its range; 1 reads one', async () => {
    const { 'burst.csv': burst } = writeTemp({ 'burst.csv': csvText([baseCells({ id: 'burst-sharegpt', kind: 'throughput', unit: 'output_tok_s', statistic: 'mean', batch: '', num_requests: '200', prompt_tokens: '220', output_tokens: '190', value: '3000', lengths: 'sharegpt' })]) });
    const five = JSON.parse(await run(['--corpus', burst, '--split', 'all', '--json'])) as { sample_seeds: number; rows: { predicted: number; sample_error_pct?: [number, number] }[] };
    expect(five.sample_seeds).toBe(5);
    const range = five.rows[0].sample_error_pct!;
    expect(range[0]).toBeLessThan(range[1]);
    const one = JSON.parse(await run(['--corpus', burst, '--split', 'all', '--json', '--samples', '1'])) as typeof five;
    expect(one.sample_seeds).toBe(0);
    expect(one.rows[0].sample_error_pct).toBeUndefined();
    expect(one.rows[0].predicted).toBe(five.rows[0].predicted);
    const eight = JSON.parse(await run(['--corpus', burst, '--split', 'all', '--json', '--samples', '8'])) as typeof five;
    expect(eight.sample_seeds).toBe(8);
    // more seeds can only widen the range
    expect(eight.rows[0].sample_error_pct![0]).toBeLessThanOrEqual(range[0]);
    expect(eight.rows[0].sample_error_pct![1]).toBeGreaterThanOrEqual(range[1]);
    for (const bad of ['0', '51', '2.5', 'five']) {
      await expect(run(['--corpus', burst, '--samples', bad])).rejects.toThrow(new UserError(`--samples: expected a whole number of seeds from 1 to 50, got "${bad}"`));
    }
  });

  it('--client-gap-ms: a closed loop read with the client gap given, said in the JSON; 0 is a client in lock-step', async () => {
    const { 'loop.csv': loop } = writeTemp({ 'loop.csv': csvText([baseCells({ id: 'loop-ttft', kind: 'serving_ttft', unit: 'ms', statistic: 'mean', batch: '16', prompt_tokens: '200', output_tokens: '200', value: '100', lengths: 'fixed' })]) });
    type Out = { client_gap_ms: number; rows: { predicted: number }[] };
    const byDefault = JSON.parse(await run(['--corpus', loop, '--split', 'all', '--json'])) as Out;
    expect(byDefault.client_gap_ms).toBe(CLIENT_GAP_MS);
    const locked = JSON.parse(await run(['--corpus', loop, '--split', 'all', '--json', '--client-gap-ms', '0'])) as Out;
    expect(locked.client_gap_ms).toBe(0);
    // the loop's waves share their prompts' iterations in lock-step: later first tokens on average
    expect(locked.rows[0].predicted).toBeGreaterThan(byDefault.rows[0].predicted);
    for (const bad of ['-1', '60001', 'five', '']) {
      await expect(run(['--corpus', loop, '--client-gap-ms', bad])).rejects.toThrow(new UserError(`--client-gap-ms: expected milliseconds from 0 to 60000, got "${bad}"`));
    }
  });

  it('refuses a bad flag with a one-line UserError', async () => {
    await expect(run(['--corpus', FIXTURE, '--split', 'test'])).rejects.toThrow(new UserError('--split: expected one of validation, calibration, all, got "test"'));
    await expect(run(['--corpus', FIXTURE, '--max-mape', 'ten'])).rejects.toThrow(UserError);
  });

  it('through the real CLI: a bad row exits 2 with file:line: column, a MAPE above --max-mape exits 1', async () => {
    const p = writeTemp({ 'bad.csv': csvText([baseCells(), baseCells({ id: 'synthetic-2', value: '-3' })]) });
    const bad = await fleetsim(['fidelity', '--corpus', p['bad.csv']]);
    expect(bad.code, show(bad)).toBe(2);
    expect(bad.stderr).toBe(`${p['bad.csv']}:3: value: expected a plain decimal number from 0.000001 to 1000000000, got "-3"\n`);
    const strict = await fleetsim(['fidelity', '--corpus', FIXTURE, '--max-mape', '0']);
    expect(strict.code, show(strict)).toBe(1);
    expect(strict.stdout).toMatch(/^overall\s+\d+\s+[\d.]+%/m);
    expect(strict.stderr).toMatch(/^fidelity: overall MAPE [\d.]+% is above --max-mape 0%\n$/);
  });

  it('through the real CLI: a profile out of range or missing a factor, and a row missing a field, exit 2 with one line naming the file and the field', async () => {
    const vllm = JSON.parse(readFileSync(new URL('../../src/perf/profiles/vllm.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const { kv_bw_efficiency: _dropped, ...missing } = vllm;
    const row = baseCells();
    const p = writeTemp({
      'over.json': JSON.stringify({ ...vllm, memory_bw_efficiency: 1.4 }),
      'missing.json': JSON.stringify(missing),
      'short.csv': csvText([row]).replace(/,[^,\n]*\n$/, '\n'),
    });
    const over = await fleetsim(['fidelity', '--corpus', FIXTURE, '--calibration', p['over.json']]);
    expect(over.code, show(over)).toBe(2);
    expect(over.stderr).toBe(`${p['over.json']}: memory_bw_efficiency: expected a number <= 1, got 1.4\n`);
    const lacking = await fleetsim(['fidelity', '--corpus', FIXTURE, '--calibration', p['missing.json']]);
    expect(lacking.code, show(lacking)).toBe(2);
    expect(lacking.stderr.startsWith(`${p['missing.json']}: kv_bw_efficiency: `), lacking.stderr).toBe(true);
    expect(lacking.stderr.split('\n')).toHaveLength(2);
    const short = await fleetsim(['fidelity', '--corpus', p['short.csv']]);
    expect(short.code, show(short)).toBe(2);
    expect(short.stderr.startsWith(`${p['short.csv']}:2: `), short.stderr).toBe(true);
    expect(short.stderr).toMatch(/: expected 25 fields, the row has 24 [^\n]*\n$/);
    expect(short.stderr.split('\n')).toHaveLength(2);
  });
});
