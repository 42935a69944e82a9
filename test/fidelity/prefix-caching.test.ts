import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/fidelity/corpus.ts';
import { predictRows, stackEngine } from '../../src/fidelity/predict.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

const FILE = 'data/corpus/prefix-caching/vllm-pr1983.csv';

/**
 * The published prefix-caching measurements (vLLM pull request 1983: Llama-2-13B on an A100, a
 * 200-token prefix shared by every request) held against fleetsim's replica with its cache on
 * (`shared-prefix-200`) and off (`fixed`). docs/prefix-caching.md gives the errors; here what must
 * hold whatever the engine profile: the cached runs are faster than the uncached ones at the same
 * rate, as measured.
 */
describe('prefix-caching measurements', () => {
  const temp = suiteTempDir('prefix-corpus-');
  const rows = loadCorpus([FILE]);
  const predictions = predictRows(rows);
  const value = (id: string) => {
    const p = predictions[rows.findIndex((r) => r.id === id)];
    if (p.status !== 'predicted') throw new Error(`${id}: ${p.reason}`);
    return p.value;
  };

  it('loads eighteen validation rows, all evaluated', () => {
    expect(rows.length).toBe(18);
    for (const r of rows) expect(r.split).toBe('validation');
    for (const p of predictions) expect(p.status).toBe('predicted');
  });

  it('at each published rate, the shared prefix lowers the predicted TTFT and e2e, as it lowered the measured ones', () => {
    for (const qps of [10, 15, 25]) {
      for (const figure of ['ttft', 'e2e']) {
        const measured = (which: string) => rows.find((r) => r.id === `o-pr1983-a100-l2-13b-q${qps}-${which}-${figure}`)!.value;
        expect(measured('prefix')).toBeLessThan(measured('base'));
        expect(value(`o-pr1983-a100-l2-13b-q${qps}-prefix-${figure}`)).toBeLessThan(value(`o-pr1983-a100-l2-13b-q${qps}-base-${figure}`));
      }
    }
  });

  it('at 25 requests/s the base engine saturates and the cached one serves more, as measured', () => {
    const measured = (which: string) => rows.find((r) => r.id === `o-pr1983-a100-l2-13b-q25-${which}-thr`)!.value;
    expect(measured('prefix')).toBeGreaterThan(measured('base'));
    expect(value('o-pr1983-a100-l2-13b-q25-prefix-thr')).toBeGreaterThan(value('o-pr1983-a100-l2-13b-q25-base-thr'));
    // the base engine cannot keep up with 25 requests/s, in the measurement and in the prediction
    expect(measured('base')).toBeLessThan(0.6 * 25);
    expect(value('o-pr1983-a100-l2-13b-q25-base-thr')).toBeLessThan(0.8 * 25);
  });

  it('the rows are the vLLM of December 2023: predicted with the vllm-2023 profile (vLLM before 0.4 by era)', () => {
    for (const r of rows) expect(stackEngine(r.stack, r.stack_version)).toBe('vllm-2023');
    expect(stackEngine('vllm', '0.3.3')).toBe('vllm-2023');
    expect(stackEngine('vllm', '0.4.0')).toBe('vllm');
    expect(stackEngine('vllm', '0.6.0')).toBe('vllm');
    expect(stackEngine('vllm', 'unknown')).toBe('vllm');
  });

  it('refuses a shared prefix as long as the prompt, naming the file, line and column', () => {
    const lines = readFileSync(FILE, 'utf8').split('\n');
    const bad = temp.write('bad.csv', `${lines[0]}\n${lines[1].replace('shared-prefix-200', 'shared-prefix-230')}\n`);
    expect(() => loadCorpus([bad])).toThrow(/bad\.csv:2: lengths: expected a shared prefix shorter than prompt_tokens \(230\)/);
  });
});
