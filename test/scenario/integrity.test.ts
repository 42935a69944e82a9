import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { UserError } from '../../src/errors.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { startRun } from '../../src/experiment/simulate.ts';
import { loadScenario, readDocument, validateScenario } from '../../src/scenario/load.ts';
import { loadTrace } from '../../src/workload/trace.ts';
import { nonNegIntArg } from '../../src/cli/options.ts';
import { runMain } from '../check/run-main.ts';
import { userError } from '../helpers/errors.ts';
import { prepared } from '../helpers/scenario.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

/**
 * Input integrity: the hostile inputs of a review of fleetsim as a CI gate on untrusted scenarios,
 * each of which used to be accepted (or crash with exit 70), now refused in one line.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = readFileSync(join(REPO, 'scenarios/mmc-example.yaml'), 'utf8');
const H = 'TIMESTAMP,ContextTokens,GeneratedTokens\n';

const temp = suiteTempDir('fleetsim-integrity-');
const write = temp.write;

/** A topology scenario (mmc-example) with its stations replaced. */
const withStations = (stations: string) => EXAMPLE.replace(/  stations:\n[\s\S]*$/, `  stations:\n${stations}`);

describe('trace token counts fit the Int32Arrays that hold them', () => {
  it('4,294,967,396 tokens (2^32 + 100) is refused with file, line and column, not read as 100', () => {
    const f = write('wrap.csv', `${H}1,10,10\n2,4294967396,10\n`);
    expect(userError(() => loadTrace(f))).toBe(`${f}: line 3, column 2 (ContextTokens): expected an integer in [0, 2147483647], got "4294967396"`);
  });

  it('the bound is 2^31 - 1: the largest count is kept exactly, one more is refused', () => {
    const ok = loadTrace(write('max.csv', `${H}1,2147483647,2147483647\n`));
    expect(ok.promptTokens[0]).toBe(2 ** 31 - 1);
    expect(ok.outputTokens[0]).toBe(2 ** 31 - 1);
    const f = write('over.csv', `${H}1,5,2147483648\n`);
    expect(userError(() => loadTrace(f))).toMatch(/: line 2, column 3 \(GeneratedTokens\): expected an integer in \[0, 2147483647\], got "2147483648"$/);
  });

  it('counts are decimal digits: hex, exponents and signs are refused', () => {
    for (const cell of ['0x10', '1e3', '+5', ' ', '1_000']) {
      expect(userError(() => loadTrace(write('odd.csv', `${H}1,${cell},1\n`)))).toMatch(/column 2 \(ContextTokens\): expected an integer/);
    }
  });

  it('the column is counted in the file as written (columns found by name)', () => {
    const f = write('reordered.csv', 'GeneratedTokens,extra,TIMESTAMP,ContextTokens\n7,a,12.5,9999999999\n');
    expect(userError(() => loadTrace(f))).toMatch(/: line 2, column 4 \(ContextTokens\): /);
  });
});

describe('trace timestamps are real dates and times', () => {
  const stamp = (s: string) => () => loadTrace(write('stamp.csv', `${H}2023-11-16 18:00:00,1,1\n${s},1,1\n`));

  it('2023-13-45 99:99:99 is refused, not rolled over into 2024', () => {
    expect(userError(stamp('2023-13-45 99:99:99'))).toMatch(/: line 3, column 1 \(TIMESTAMP\): expected a valid "YYYY-MM-DD HH:MM:SS\.fff" \(UTC\) or seconds, got "2023-13-45 99:99:99"$/);
  });

  it.each(['2023-02-29 00:00:00', '2023-04-31 00:00:00', '2023-11-16 24:00:00', '2023-11-16 18:60:00', '2023-11-16 18:00:60', '2023-00-10 00:00:00', '0x10'])('%s is refused', (s) => {
    expect(userError(stamp(s))).toMatch(/TIMESTAMP/);
  });

  it('a leap day and the last second of a day are read exactly', () => {
    const tr = loadTrace(write('leap.csv', `${H}2024-02-28 23:59:59,1,1\n2024-02-29 00:00:00.5,1,1\n2024-02-29 23:59:59,1,1\n`));
    // Independent arithmetic: 0.5 s after the first, then one day less 0.5 s... in milliseconds.
    expect(Array.from(tr.t_ms)).toEqual([0, 1500, 86_400_000]);
  });
});

describe('seeds are integers in [0, 2^53)', () => {
  const seeded = (seed: number, replications = 1) => () => validateScenario({ ...(stringToDoc(EXAMPLE) as object), seed, replications }, 's.yaml');

  it('a scenario seed of 2^53 or more is refused; 2^53 - 1 is kept', () => {
    expect(userError(seeded(2 ** 53))).toBe('s.yaml: seed: expected an integer in [0, 2^53), got a number beyond 2^53 - 1 (read as 9007199254740992)');
    expect(userError(seeded(2 ** 64))).toMatch(/^s\.yaml: seed: expected an integer in \[0, 2\^53\)/);
    expect(seeded(2 ** 53 - 1)().seed).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('every replication seed (seed + i) must be below 2^53 too', () => {
    expect(userError(seeded(2 ** 53 - 1, 2))).toBe('s.yaml: seed: expected seed + replications - 1 < 2^53, got 9007199254740991 with 2 replications');
  });

  it('--seed 2^64 is refused (it used to give every replication the same seed)', async () => {
    const r = await runMain(['run', join(REPO, 'scenarios/mmc-example.yaml'), '--seed', '18446744073709551616', '--replications', '2', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--seed <n>.*expected an integer in \[0, 2\^53\), got "18446744073709551616"/);
    expect(nonNegIntArg('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => nonNegIntArg('9007199254740992')).toThrow(/\[0, 2\^53\)/);
  });

  it('a seed that reaches a run from elsewhere (replication seed + i) is refused where the streams are made', () => {
    const prep = prepared(stringToDoc(EXAMPLE) as never);
    expect(() => startRun(prep, 2 ** 53)).toThrow(UserError);
    expect(() => startRun(prep, 2 ** 53)).toThrow(/seed: expected an integer in \[0, 2\^53\)/);
  });
});

function stringToDoc(text: string): unknown {
  const f = write(`doc-${Math.abs(hash(text))}.yaml`, text);
  return readDocument(f);
}
function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return h;
}

describe('counts fit an int32', () => {
  it('servers of 2^31 are refused; 2^31 - 1 passes the schema', () => {
    const at = (n: number) => withStations(`    api:\n      servers: ${n}\n      service_ms: { dist: exponential, mean: 1000 }\n`);
    const f = write('servers.yaml', at(2 ** 31));
    expect(userError(() => loadScenario(f))).toMatch(/:11:16: topology\.stations\.api\.servers: expected a positive integer <= 2147483647, got 2147483648$/);
    expect(loadScenario(write('servers-ok.yaml', at(2 ** 31 - 1))).scenario.topology!.stations.api.servers).toBe(2 ** 31 - 1);
  });
});

describe('reserved names are refused as names of stations, models, regions and tiers', () => {
  it('a station named __proto__ is refused at its line and column (it used to vanish)', () => {
    const text = withStations(`    api:\n      servers: 1\n      service_ms: { dist: constant, value: 1 }\n    __proto__:\n      servers: 2\n      service_ms: { dist: constant, value: 1 }\n`);
    const f = write('proto.yaml', text);
    const line = text.split('\n').findIndex((l) => l.includes('__proto__')) + 1;
    expect(userError(() => loadScenario(f))).toBe(`${f}:${line}:5: topology.stations.__proto__: "__proto__" is reserved (a JavaScript object's own machinery), not a valid name or field`);
  });

  const station = '{"servers": 1, "service_ms": {"dist": "constant", "value": 1}}';
  const jsonScenario = (name: string) =>
    `{"name": "j", "duration_s": 10, "workload": {"arrivals": {"kind": "poisson", "rate_per_s": 1}},\n "topology": {"entry": "api", "stations": {"api": ${station},\n  "${name}": ${station}}}}`;

  it.each(['__proto__', 'constructor', 'prototype'])('in JSON too: a station named %s, at its line and column', (name) => {
    const f = write(`reserved-${name}.json`, jsonScenario(name));
    expect(userError(() => loadScenario(f))).toBe(`${f}:3:3: topology.stations.${name}: "${name}" is reserved (a JavaScript object's own machinery), not a valid name or field`);
  });

  it('a document built in memory (JSON.parse, --vary copies) is refused by the schema itself', () => {
    const doc = JSON.parse(jsonScenario('__proto__')) as unknown;
    expect(Object.keys((doc as { topology: { stations: object } }).topology.stations)).toContain('__proto__');
    expect(userError(() => validateScenario(doc, 's.json'))).toBe(`s.json: topology.stations.__proto__: "__proto__" is reserved (a JavaScript object's own machinery), not a valid name or field`);
  });

  it('models, regions and failure tiers', () => {
    const fleet = readFileSync(join(REPO, 'scenarios/openai-2024.yaml'), 'utf8');
    const cases: [string, string, RegExp][] = [
      ['model', fleet.replace('    gpt-4:\n', '    constructor:\n'), /fleet\.models\.constructor: "constructor" is reserved/],
      ['region', fleet.replace(/regions:\n(\s+)(\S+):/, 'regions:\n$1prototype:'), /fleet\.regions\.prototype: "prototype" is reserved/],
    ];
    for (const [what, text, problem] of cases) {
      expect(text, what).not.toBe(fleet);
      const f = write(`reserved-${what}.yaml`, text);
      expect(userError(() => loadScenario(f, [], [REPO]))).toMatch(problem);
    }
    const tiers = write('reserved-tier.yaml', `${EXAMPLE}failures:\n  tiers:\n    __proto__: { mtbf_h: 1, mttr_min: 1 }\n`);
    expect(userError(() => loadScenario(tiers))).toMatch(/failures\.tiers\.__proto__: "__proto__" is reserved/);
  });

  it('the scenario name is one printable line: it heads every report and CI log line about the run', () => {
    const f = write('name.yaml', EXAMPLE.replace('name: mmc-example', 'name: "run\\n::error::injected"'));
    const msg = userError(() => loadScenario(f));
    expect(msg).toBe(`${f}:1:7: name: expected a name without control characters, got "run\\n::error::injected"`);
  });

  it('names are printable and short', () => {
    const long = withStations(`    ${'x'.repeat(101)}:\n      servers: 1\n      service_ms: { dist: constant, value: 1 }\n`).replace('entry: api', `entry: ${'x'.repeat(101)}`);
    expect(userError(() => loadScenario(write('long-name.yaml', long)))).toMatch(/expected a name of at most 100 characters/);
    const ctl = withStations(`    "a\\u001bb":\n      servers: 1\n      service_ms: { dist: constant, value: 1 }\n`);
    const msg = userError(() => loadScenario(write('ctl-name.yaml', ctl)));
    expect(msg).toMatch(/topology\.stations\.a\\u001bb: expected a name without control characters/);
    expect(msg).not.toContain('\u001b');
  });
});

describe('extends: must name a scenario', () => {
  const extending = (base: string) => `extends: ${base}\n${EXAMPLE}`;

  it.each<[string, string, RegExp]>([
    ['an empty file', '', /extends: "base\.yaml": expected a scenario \(a mapping of scenario fields\), got an empty document$/],
    ['garbage text', 'hello world', /extends: "base\.yaml": expected a scenario \(a mapping of scenario fields\), got "hello world"$/],
    ['a list', '- 1\n- 2\n', /extends: "base\.yaml": expected a scenario .*got \[1,2\]$/],
    ['a mapping that is not a scenario', 'user: root\nshell: /bin/sh\n', /extends: "base\.yaml" is not a valid scenario: .*base\.yaml:1:1: user: unknown key "user"/],
  ])('%s is refused', (_what, base, problem) => {
    write('base.yaml', base);
    const f = write('child.yaml', extending('base.yaml'));
    let message = '';
    try {
      loadScenario(f);
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      message = (e as Error).message;
    }
    // A base with several problems names each on a line of its own, each saying it is the base's.
    const lines = message.split('\n');
    expect(lines[0]).toMatch(problem);
    for (const line of lines) expect(line).toMatch(/child\.yaml: extends: "base\.yaml"/);
  });

  it('a valid base is merged under the file', () => {
    write('base.yaml', EXAMPLE.replace('seed: 7', 'seed: 99'));
    const s = loadScenario(write('child.yaml', 'extends: base.yaml\nname: child\n')).scenario;
    expect(s.name).toBe('child');
    expect(s.seed).toBe(99);
  });
});

describe('YAML and JSON that would exhaust the reader end in one line (exit 2), never a stack trace', () => {
  it('an alias bomb (a billion lols) is refused: it expands to more than a million values', () => {
    const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]`);
    const f = write('bomb.yaml', `${lines.join('\n')}\n`);
    expect(userError(() => loadScenario(f))).toMatch(/: a\d: expands to more than 1,000,000 values/);
  });

  it('a scenario sharing one anchor across 150 stations is legitimate and loads (yaml\'s own alias limit refused it)', () => {
    let stations = '    s0:\n      servers: 1\n      service_ms: &svc { dist: exponential, mean: 10 }\n';
    for (let i = 1; i < 150; i++) stations += `    s${i}:\n      servers: 1\n      service_ms: *svc\n`;
    const text = withStations(stations).replace('entry: api', 'entry: s0');
    const s = loadScenario(write('anchors.yaml', text)).scenario;
    expect(Object.keys(s.topology!.stations)).toHaveLength(150);
    expect(s.topology!.stations.s149.service_ms).toEqual({ dist: 'exponential', mean: 10 });
  });

  it('150 anchors nested in one another are refused as too deep, in one line', () => {
    const lines = ['n0: &n0 {v: 1}'];
    for (let i = 1; i < 150; i++) lines.push(`n${i}: &n${i} {p: *n${i - 1}}`);
    const f = write('nested.yaml', `${lines.join('\n')}\n`);
    expect(userError(() => loadScenario(f))).toMatch(/^.*nested\.yaml:\d+:\d+: n\d+(\.p)+.*: nested deeper than 64 levels$/);
  });

  it('YAML nested deeper than its parser can recurse is refused as nested too deeply, not as the parser\'s stack overflow', () => {
    const f = write('deep-flow.yaml', `name: x\nv: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    const msg = userError(() => loadScenario(f));
    expect(msg).toMatch(/deep-flow\.yaml(:\d+:\d+)?: (invalid YAML: nested too deeply to read \(at most 64 levels\)|.*nested deeper than 64 levels)$/);
    expect(msg).not.toMatch(/call stack/);
  });

  it('a cyclic alias is refused', () => {
    const f = write('cycle.yaml', 'name: &x [1, *x]\n');
    expect(userError(() => loadScenario(f))).toMatch(/cycle|invalid YAML/);
  });

  it('JSON nested 100,000 deep is refused (it overflowed the stack printing the error)', () => {
    const f = write('deep.json', `{"name": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`);
    const msg = userError(() => loadScenario(f));
    expect(msg).toMatch(/: name\[0\].*: nested deeper than 64 levels$/);
    expect(msg.length).toBeLessThan(300);
  });

  it('YAML nested 100,000 deep is refused', () => {
    const f = write('deep.yaml', `name: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(userError(() => loadScenario(f))).toMatch(/deep\.yaml(:\d+:\d+)?: (invalid YAML|name).*/);
  });

  it('YAML warnings (an unknown tag) are refused instead of printed as a second line', () => {
    const f = write('tag.yaml', EXAMPLE.replace('name: mmc-example', 'name: !custom mmc-example'));
    expect(userError(() => loadScenario(f))).toMatch(/tag\.yaml:1:7: invalid YAML: .*tag/i);
  });
});

describe('an error quotes at most a short excerpt of the input, control characters escaped', () => {
  const passwd = Array.from({ length: 40 }, (_, i) => `user${i}:x:${1000 + i}:${1000 + i}:User ${i}:/home/user${i}:/bin/bash`).join('\n');

  it('a budgets file that is some other file (check --budgets /etc/passwd) shows 80 characters of it, not all', async () => {
    const { parseBudgets } = await import('../../src/report/budgets.ts');
    const f = write('passwd', passwd);
    const msg = userError(() => parseBudgets(readDocument(f), f));
    const got = /, got "(.*)"$/.exec(msg);
    expect(got?.[1].startsWith('user0:x:1000'), msg).toBe(true);
    expect(got![1].length).toBeLessThanOrEqual(80);
    expect(msg).not.toContain('user2:');
  });

  it('an unknown key of 10,000 characters with terminal escapes is cut short and escaped', () => {
    const key = `\u001b[2J\u001b]0;pwned\u0007${'k'.repeat(10_000)}`;
    const f = write('key.json', JSON.stringify({ ...(stringToDoc(EXAMPLE) as object), [key]: 1 }));
    const msg = userError(() => loadScenario(f));
    expect(msg).toMatch(/unknown key "\\u001b\[2J\\u001b\]0;pwned\\u0007k+\.\.\."/);
    expect(msg).not.toMatch(/[\u0000-\u001f]/);
    expect(msg.length).toBeLessThan(600);
  });

  it('a station name in a cross-reference error is cut short', () => {
    const text = EXAMPLE.replace('      servers: 10\n', `      servers: 10\n      next: ${JSON.stringify('z'.repeat(5000))}\n`);
    const msg = userError(() => loadScenario(write('next.yaml', text)));
    expect(msg).toMatch(/next: expected a station name \(api\), got "z+\.\.\."$/);
    expect(msg.length).toBeLessThan(300);
  });
});

// The same YAML text, written by the yaml package, is read back as the document it describes.
it('a scenario written by the yaml package reads back (the reader is not stricter than YAML needs)', () => {
  const doc = stringToDoc(EXAMPLE);
  const f = write('round.yaml', stringify(doc));
  expect(loadScenario(f).scenario).toEqual(loadScenario(write('orig.yaml', EXAMPLE)).scenario);
  expect(prepare(loadScenario(f)).scenario.name).toBe('mmc-example');
});
