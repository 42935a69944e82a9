import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstRepeatedKey, parseJsonInput } from '../../src/util/json-keys.ts';
import { loadHfConfig } from '../../src/perf/hf-config.ts';
import { loadCalibration } from '../../src/perf/calibration.ts';
import { readDocument } from '../../src/scenario/document.ts';

/**
 * JSON inputs with a key repeated in one object are refused, naming the file, line and key: JSON.parse
 * keeps the last without a word (a model config with two hidden_size values was sized by the second).
 */
describe('a key repeated in one JSON object', () => {
  it('is found with its line; keys of different objects, array elements and strings that look like JSON are not repeats', () => {
    expect(firstRepeatedKey('{"a": 1,\n "b": 2,\n "a": 3}')).toEqual({ key: 'a', line: 3 });
    expect(firstRepeatedKey('{"a": 1, "b": {"a": 2, "c": [{"a": 1}, {"a": 2}]}}')).toBeUndefined();
    expect(firstRepeatedKey('{"s": "x\\"y{", "t": "{\\"a\\":1,\\"a\\":2}", "u": ["a", "a"]}')).toBeUndefined();
    // the same key once escaped and once not is the same key
    expect(firstRepeatedKey('{"a": 1, "\\u0061": 2}')).toEqual({ key: 'a', line: 1 });
    expect(firstRepeatedKey('[{"k": 1, "k": 2}]')).toEqual({ key: 'k', line: 1 });
  });

  it('parseJsonInput returns what JSON.parse does when there is none, and refuses invalid JSON in one line', () => {
    const text = '{"a": [1, {"b": null}], "c": "d"}';
    expect(parseJsonInput(text, 'x.json')).toEqual(JSON.parse(text));
    expect(() => parseJsonInput('{"a": ', 'x.json')).toThrow(/^x\.json: not valid JSON: /);
  });

  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-json-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('is refused in a model config, a calibration profile and a JSON scenario', () => {
    const config = file('config.json', '{"model_type": "llama",\n "hidden_size": 4096,\n "hidden_size": 8192}');
    expect(() => loadHfConfig(config)).toThrow(`${config} line 3: key "hidden_size" appears twice in one object (JSON would keep the last without a word; remove one)`);
    const profile = file('profile.json', '{"name": "x",\n "gemm_efficiency": 0.5, "gemm_efficiency": 0.9}');
    expect(() => loadCalibration(profile)).toThrow(`${profile} line 2: key "gemm_efficiency" appears twice`);
    const scenario = file('scenario.json', '{"name": "x", "duration_s": 10,\n"duration_s": 20}');
    expect(() => readDocument(scenario)).toThrow(`${scenario} line 2: key "duration_s" appears twice`);
  });
});
