import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as yaml from 'yaml';
import { runMain } from '../check/run-main.ts';
import { REPO, show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { parseDocumentText } from '../../src/scenario/document.ts';

// the YAML parser, spied on: a JSON document is parsed again as YAML only when a message needs it
vi.mock('yaml', async (importOriginal) => {
  const original = await importOriginal<typeof import('yaml')>();
  return { ...original, parseDocument: vi.fn(original.parseDocument) };
});

/**
 * What the eighth hostile campaign of 2026-12-07 found in the refusal of numbers written nonzero
 * that read as 0 (1e-400), mended: any `e-NNN` in a JSON scenario (a description's "see e-100")
 * sent it through the YAML parser (a 48 MB scenario: 2.8 s and 250 MB became 12 s and 1.2 GB);
 * `0.` and 250 zeros then `1e-99` in JSON, and `%YAML 1.1`'s `1_0.0e-400`, still read as 0; and a
 * --set value of 1e-400 was named "(top level)" rather than by its field.
 */
const tmp = suiteTempDir('fleetsim-hostile-underflow-');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const EXPECTED = 'a number that does not round to 0 \\(the smallest positive one is about 5e-324\\)';
const QUICKSTART = join(REPO, 'scenarios/quickstart.yaml');

/** A budgets file in JSON of one budget whose value is written `value`. */
const budgetsJson = (name: string, value: string) => tmp.write(name, `[{"metric": "latency_ms.e2e.p99", "op": "<=", "value": ${value}}]\n`);

describe('a JSON scenario is parsed again as YAML only for a number that underflows', () => {
  it('"see e-100" in a description and 1e-100 as a value are read without the YAML parser', () => {
    const parseDocument = vi.mocked(yaml.parseDocument);
    parseDocument.mockClear();
    const text = JSON.stringify({ name: 'q', description: 'see e-100 and e-999', duration_s: 1e-100, padding: '0'.repeat(400) });
    expect(parseDocumentText(text, 'big.json', 'json')).toMatchObject({ duration_s: 1e-100 });
    expect(parseDocument).not.toHaveBeenCalled();
  });

  it('one that does is named by its field, line and column past strings holding brackets, commas and quotes, still without it', () => {
    const parseDocument = vi.mocked(yaml.parseDocument);
    parseDocument.mockClear();
    const text = '{\n  "a": [1, {"x": "e-1,[{\\"", "k": [2, 3,\n\t -0.0e-999, 5e-400]}]}';
    expect(() => parseDocumentText(text, 'p.json', 'json')).toThrow(/^p\.json:3:14: a\[1\]\.k\[3\]: expected a number that does not round to 0 .*, got 5e-400$/);
    expect(parseDocument).not.toHaveBeenCalled();
  });
});

describe('every spelling of a nonzero number that reads as 0 is refused', () => {
  it("a budgets JSON's 0. and 250 zeros then 1e-99 (it was read as 0 and printed `<= 0`)", async () => {
    const written = `0.${'0'.repeat(250)}1e-99`;
    const file = budgetsJson('long-zeros.json', written);
    const r = await runMain(['check', QUICKSTART, '--budgets', file]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:1:56: \\[0\\]\\.value: expected ${EXPECTED}, got 0\\.0{60,}`), show(r));
  });

  it('a scenario JSON with 1e-99 after 240 zeros, in a list', async () => {
    const file = tmp.write('samples.json', JSON.stringify({ extends: QUICKSTART }).replace('}', `, "topology": {"stations": {"api": {"service_ms": {"dist": "empirical", "samples": [1, 0.${'0'.repeat(240)}1e-99]}}}}}`));
    const r = await runMain(['validate', file, '--allow-path', REPO]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:1:\\d+: topology\\.stations\\.api\\.service_ms\\.samples\\[1\\]: expected ${EXPECTED}, got 0\\.0+`), show(r));
  });

  it.each([
    ['a scenario', 'validate', (file: string) => [file, '--allow-path', REPO], `extends: ${QUICKSTART}\nbudgets:\n  - { metric: latency_ms.e2e.p99, op: "<=", value: 1_0.0e-400 }\n`],
    ['a budgets file', 'check', (file: string) => [QUICKSTART, '--budgets', file], '- { metric: latency_ms.e2e.p99, op: "<=", value: 1_0.0e-400 }\n'],
  ])('%s under a YAML 1.1 directive is refused naming it (1_0.0e-400 passed, and yes/no were booleans)', async (what, command, args, body) => {
    const file = tmp.write(`${what.replace(/\W+/g, '-')}.yaml`, `%YAML 1.1\n---\n${body}`);
    const r = await runMain([command, ...args(file)]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:1:1: %YAML: expected YAML 1\\.2 \\(.*\\), got %YAML 1\\.1$`), show(r));
  });

  it('%YAML 1.2 still reads', async () => {
    const file = tmp.write('yaml-1.2.yaml', `%YAML 1.2\n---\nextends: ${QUICKSTART}\n`);
    const r = await runMain(['validate', file, '--allow-path', REPO]);
    expect(r.code, show(r)).toBe(0);
  });
});

describe('a flag value of 1e-400 is named by the flag and the field it sets', () => {
  it('--set topology.stations.api.service_ms.sd=1e-400 (it said "(top level)")', async () => {
    const r = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'topology.stations.api.service_ms.sd=1e-400']);
    expectRefusedInOneLine(r, new RegExp(`^--set topology\\.stations\\.api\\.service_ms\\.sd=1e-400: topology\\.stations\\.api\\.service_ms\\.sd: expected ${EXPECTED}, got 1e-400$`), show(r));
  });

  it('replay --what-if a=faults.0.fraction=1e-400', async () => {
    const r = await runMain(['replay', 'scenarios/incidents/gpu-cluster-failure.yaml', '--allow-path', 'scenarios', '--quiet', '--what-if', 'a=faults.0.fraction=1e-400']);
    expectRefusedInOneLine(r, new RegExp(`^--what-if a=faults\\.0\\.fraction=1e-400: faults\\[0\\]\\.fraction: expected ${EXPECTED}, got 1e-400$`), show(r));
  });

  it('--vary topology.stations.api.servers=1e-400,2', async () => {
    const r = await runMain(['sweep', 'scenarios/quickstart.yaml', '--vary', 'topology.stations.api.servers=1e-400,2']);
    expectRefusedInOneLine(r, new RegExp(`^--vary topology\\.stations\\.api\\.servers=1e-400,2: topology\\.stations\\.api\\.servers: expected ${EXPECTED}, got 1e-400$`), show(r));
  });
});
