import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show, type CliResult } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';

/**
 * Inputs that are not regular files: a named pipe with no writer used to block the command for
 * ever (reading it waits for a writer), /dev/zero never ends, a directory failed with EISDIR.
 * Every reader of an input file now opens it non-blocking and refuses what is not a regular file,
 * in one line naming the file (src/util/read-input.ts).
 */
const tmp = suiteTempDir('fleetsim-special-files-');

function fifo(name: string): string {
  const path = join(tmp.dir(), name);
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr}`);
  return path;
}

const expectRefused = (r: CliResult, pattern: RegExp) => expectRefusedInOneLine(r, pattern, show(r));

const SCENARIO = (arrivals: string) =>
  `name: special\nduration_s: 5\nwarmup_s: 0\nworkload:\n  arrivals: ${arrivals}\ntopology:\n  entry: api\n  stations:\n    api: { servers: 1, service_ms: { dist: exponential, mean: 10 } }\n`;

describe('inputs that are not regular files are refused at once', () => {
  it('a named pipe as the scenario, the budgets, a trace, a corpus, a calibration profile and a summary', async () => {
    const pipe = fifo('scenario.yaml');
    expectRefused(await runMain(['validate', pipe]), /scenario\.yaml: expected a regular file, got a named pipe$/);

    const scenario = tmp.write('ok.yaml', SCENARIO('{ kind: poisson, rate_per_s: 10 }'));
    expectRefused(await runMain(['check', scenario, '--budgets', fifo('budgets.yaml')]), /budgets\.yaml: expected a regular file, got a named pipe$/);

    fifo('arrivals.csv');
    const traced = tmp.write('traced.yaml', SCENARIO('{ kind: trace, file: arrivals.csv }'));
    expectRefused(await runMain(['validate', traced]), /arrivals\.csv: expected a regular file, got a named pipe$/);

    expectRefused(await runMain(['fidelity', '--corpus', fifo('corpus.csv')]), /corpus\.csv: expected a regular file, got a named pipe$/);
    expectRefused(
      await runMain(['perf', '--model', 'llama-2-70b', '--gpu', 'a100-80gb', '--tp', '2', '--calibration', fifo('profile.json')]),
      /profile\.json: expected a regular file, got a named pipe$/,
    );
    expectRefused(await runMain(['compare', fifo('a.json'), fifo('b.json')]), /a\.json: expected a regular file, got a named pipe$/);
  });

  it('a directory and a device as the scenario', async () => {
    const dir = join(tmp.dir(), 'folder.yaml');
    mkdirSync(dir);
    expectRefused(await runMain(['validate', dir]), /folder\.yaml: expected a regular file, got a directory$/);
    expectRefused(await runMain(['validate', '/dev/zero']), /\/dev\/zero: expected a regular file, got a device$/);
  });
});

describe('a byte-order mark at the start of an input is read past, as editors on Windows write one', () => {
  it('a config.json, a calibration profile and a vLLM benchmark result, as the YAML and CSV readers always did', async () => {
    const bom = '\uFEFF';
    const config = tmp.write('bom-config.json', bom + JSON.stringify({ model_type: 'llama', hidden_size: 4096, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, intermediate_size: 14336, vocab_size: 128256, max_position_embeddings: 8192 }));
    const perf = await runMain(['perf', '--model-config', config, '--gpu', 'h100-80gb', '--json']);
    expect(perf.code, show(perf)).toBe(0);
    const profile = tmp.write('bom-profile.json', bom + readFileSync('src/perf/profiles/vllm.json', 'utf8'));
    const calibrated = await runMain(['perf', '--model', 'llama-3.1-8b', '--gpu', 'h100-80gb', '--calibration', profile, '--json']);
    expect(calibrated.code, show(calibrated)).toBe(0);
    expect(JSON.parse(calibrated.stdout).tpot_ms).toBe(JSON.parse((await runMain(['perf', '--model', 'llama-3.1-8b', '--gpu', 'h100-80gb', '--engine', 'vllm', '--json'])).stdout).tpot_ms);
  });
});

describe('bytes that are not UTF-8 are refused, naming the file and line', () => {
  it('in a scenario and a corpus file (a Latin-1 name read "�" without a word)', async () => {
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    const scenario = join(tmp.dir(), 'latin1.yaml');
    writeFileSync(scenario, latin1(SCENARIO('{ kind: poisson, rate_per_s: 10 }').replace('name: special', 'name: caf\u00e9')));
    expectRefused(await runMain(['validate', scenario]), /latin1\.yaml line 1: expected UTF-8 text, found bytes that are not UTF-8 \(save the file as UTF-8\)$/);
    const corpus = join(tmp.dir(), 'latin1.csv');
    writeFileSync(corpus, Buffer.concat([Buffer.from('id,kind\n'), latin1('r\u00e9,prefill\n')]));
    expectRefused(await runMain(['fidelity', '--corpus', corpus]), /latin1\.csv line 2: expected UTF-8 text/);
  });
});
