import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show, type CliResult } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * Hostile inputs of the campaign of 2026-12-07: inputs within the general 512 MiB bound that ran
 * V8 out of memory (a scenario of 30 million list items, a 440 MB config.json, 4.5 million
 * measurement rows), sizes within int32 that no model has, and refusals that named neither the
 * file nor the field. Each is now refused in one line, exit 2, before the work it would cost.
 */
const tmp = suiteTempDir('fleetsim-hostile-sizes-');

const expectOneLine = (r: CliResult, pattern: RegExp) => expectRefusedInOneLine(r, pattern, show(r));
const LLAMA_8B = JSON.parse(readFileSync('scenarios/data/model-configs/llama-3.1-8b/config.json', 'utf8')) as Record<string, unknown>;
const SPLITWISE_HEADER = 'model,hardware,tensor_parallel,prompt_size,batch_size,token_size,prompt_time,token_time';

describe('sizes refused before they are parsed', () => {
  it('a scenario of more than a million list items, in a few seconds at most', async () => {
    const items = Array.from({ length: 1_100_000 }, () => '1').join(',');
    const file = tmp.write('big-list.yaml', `name: big\nunknown_key: [${items}]\n`);
    const t0 = performance.now();
    const r = await runMain(['validate', file]);
    expectOneLine(r, new RegExp(`^${file}: expected a document of at most 1,000,000 values, got 1,100,00\\d commas and line breaks`));
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('a model config.json above 4 MiB (a real one is a few kilobytes)', async () => {
    const file = tmp.write('huge-config.json', JSON.stringify({ ...LLAMA_8B, junk: 'x'.repeat(5 * 2 ** 20) }));
    expectOneLine(await runMain(['perf', '--model-config', file, '--gpu', 'h100-80gb']), new RegExp(`^${file}: expected a file of at most 4 MiB, got 5 MiB$`));
  });

  it('a measurement file of more than 100,000 rows', async () => {
    const row = 'llama2-70b,a100-80gb,8,1500,1,100,150.0,30.0';
    const file = tmp.write('many.csv', [SPLITWISE_HEADER, ...Array.from({ length: 100_001 }, () => row)].join('\n'));
    expectOneLine(await runMain(['calibrate', '--measurements', file, '--out', join(tmp.dir(), 'many.json')]), new RegExp(`^${file}: expected at most 100,000 measurement rows, got more$`));
  });
});

describe('values no model has, refused naming the file and the field', () => {
  it.each([
    ['head_dim', 2_147_483_647, 4096],
    ['hidden_size', 2_147_483_520, 262_144],
    ['num_hidden_layers', 1_000_000, 10_000],
    ['vocab_size', 1_000_000_000, 16_777_216],
  ])('config.json %s = %d (at most %d)', async (field, value, bound) => {
    const file = tmp.write(`${field}.json`, JSON.stringify({ ...LLAMA_8B, [field]: value }));
    expectOneLine(await runMain(['perf', '--model-config', file, '--gpu', 'h100-80gb']), new RegExp(`^${file}: ${field}: expected a positive integer of at most ${bound}, got ${value}$`));
  });

  it('a measurement row whose prompt is past any run of the model (16 times its context)', async () => {
    const file = tmp.write('long-prompt.csv', `${SPLITWISE_HEADER}\nllama2-70b,a100-80gb,8,2147483647,1,128,150.0,30.0\n`);
    expectOneLine(
      await runMain(['calibrate', '--measurements', file, '--out', join(tmp.dir(), 'long.json')]),
      new RegExp(`^${file}:2: prompt_size: expected at most 65,536 tokens \\(16 times llama-2-70b's context\\), got 2,147,483,647$`),
    );
  });

  it('a corpus cell that spans lines (a quoted line break) outside the prose columns', async () => {
    const text = readFileSync('data/corpus/open.csv', 'utf8').split('\n');
    const header = text[0].split(',');
    const gpu = header.indexOf('gpu');
    const cells = text[1].split(',');
    expect(cells[gpu]).toMatch(/^[a-z0-9-]+$/); // the first row's gpu cell is a plain name, split cleanly
    cells[gpu] = '"h100\n80gb"';
    const file = tmp.write('spans-lines.csv', `${text[0]}\n${cells.join(',')}\n`);
    expectOneLine(await runMain(['fidelity', '--corpus', file, '--split', 'all']), new RegExp(`^${file}:2: gpu: expected one line without control characters \\(a quoted cell that spans lines\\?\\), got "h100\\\\n80gb"$`));
  });
});

describe('refusals that name where the bad value is', () => {
  it('extends: pointing at a directory names the scenario and the field', async () => {
    mkdirSync(join(tmp.dir(), 'base-dir'));
    const file = tmp.write('extends-dir.yaml', 'extends: base-dir\nname: x\n');
    expectOneLine(await runMain(['validate', file]), new RegExp(`^${file}: extends: .*base-dir: expected a regular file, got a directory$`));
  });

  it('--set past the end of a list names the list and its length, at once', async () => {
    const t0 = performance.now();
    const r = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'topology.stations.api.next.99999999.p=1']);
    expectOneLine(r, /^--set topology\.stations\.api\.next\.99999999\.p=1: topology\.stations\.api\.next is a list of 1 item: expected an index from 0 to 1 \(1 appends one\), got "99999999"$/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('--ep on a dense model names the flag', async () => {
    expectOneLine(await runMain(['perf', '--model', 'llama-3.1-8b', '--gpu', 'h100-80gb', '--ep', '2']), /^--ep 2: llama-3\.1-8b: ep=2: a dense model has no experts to split; use ep=1$/);
  });
});
