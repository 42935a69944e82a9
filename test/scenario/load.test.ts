import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { scenarioJsonSchema } from '../../src/cli/schema.ts';
import { makeSampler } from '../../src/engine/distributions.ts';
import { stream } from '../../src/engine/random.ts';
import { UserError } from '../../src/errors.ts';
import { loadScenario, MAX_PROBLEMS, validateScenario } from '../../src/scenario/load.ts';
import { checkJsonSchema } from '../helpers/json-schema.ts';
import { userError } from '../helpers/errors.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(REPO, 'scenarios/mmc-example.yaml');
const EXAMPLE_TEXT = readFileSync(EXAMPLE, 'utf8');
const exampleDoc = () => parseYaml(EXAMPLE_TEXT) as Record<string, any>;

const temp = suiteTempDir('fleetsim-load-');
const write = temp.write;

/** Validates a mutated copy of the example scenario (file label "s.yaml"). */
function validateMutated(mutate: (d: Record<string, any>) => void) {
  const d = exampleDoc();
  mutate(d);
  return validateScenario(d, 's.yaml');
}
const mutatedError = (mutate: (d: Record<string, any>) => void) => userError(() => validateMutated(mutate));

describe('the issue example', () => {
  it('loads scenarios/mmc-example.yaml as written, with defaults filled in', () => {
    const { scenario, file, dir } = loadScenario(EXAMPLE);
    expect(file).toBe(EXAMPLE);
    expect(dir).toBe(join(REPO, 'scenarios'));
    expect(scenario).toMatchObject({
      name: 'mmc-example',
      seed: 7,
      duration_s: 2000,
      warmup_s: 200,
      replications: 1,
      workload: { arrivals: { kind: 'poisson', rate_per_s: 9 } },
      topology: { entry: 'api', stations: { api: { servers: 10, service_ms: { dist: 'exponential', mean: 1000 } } } },
      limits: { max_events: 2_000_000_000, max_wall_s: 3600, max_queue: 1_000_000 },
    });
    expect(Object.keys(scenario.topology!.stations)).toEqual(['api']);
  });

  it('the example file is exactly the one in the issue', () => {
    expect(EXAMPLE_TEXT.trim()).toBe(
      [
        'name: mmc-example',
        'seed: 7',
        'duration_s: 2000',
        'warmup_s: 200',
        'workload:',
        '  arrivals: { kind: poisson, rate_per_s: 9 }',
        'topology:',
        '  entry: api',
        '  stations:',
        '    api:',
        '      servers: 10',
        '      service_ms: { dist: exponential, mean: 1000 }',
      ].join('\n'),
    );
  });

  it('a JSON version of it loads to the same scenario', () => {
    const json = write('mmc-example.json', JSON.stringify(exampleDoc(), null, 2));
    expect(loadScenario(json).scenario).toEqual(loadScenario(EXAMPLE).scenario);
  });

  it('invalid JSON names the file', () => {
    const f = write('broken.json', '{ "name": "x", }');
    expect(userError(() => loadScenario(f))).toMatch(new RegExp(`^${escape(f)}: invalid JSON: `));
  });

  it('a missing file names the file', () => {
    const f = join(temp.dir(), 'does-not-exist.yaml');
    expect(userError(() => loadScenario(f))).toBe(`${f}: cannot read the file (no such file)`);
  });

  it('a document that is not a mapping is rejected', () => {
    const f = write('list.yaml', '- name: x\n- duration_s: 3\n');
    expect(userError(() => loadScenario(f))).toBe(`${f}: expected a mapping of scenario fields at the top level`);
    const empty = write('empty.yaml', '');
    expect(userError(() => loadScenario(empty))).toBe(`${empty}: expected a mapping of scenario fields at the top level`);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('--set overrides', () => {
  const load = (...sets: string[]) => loadScenario(EXAMPLE, sets).scenario;

  it('numbers, booleans and strings are read as YAML scalars', () => {
    const s = load('topology.stations.api.servers=12', 'duration_s=2.5e3', 'name=other run', 'description=say "hi"');
    expect(s.topology!.stations.api.servers).toBe(12);
    expect(s.duration_s).toBe(2500);
    expect(s.name).toBe('other run');
    expect(s.description).toBe('say "hi"');
    // A quoted number stays a string; an unquoted one is a number (and a name must be a string).
    expect(load('name="123"').name).toBe('123');
    expect(userError(() => load('name=123'))).toBe(`${EXAMPLE}: name: expected a name, got 123`);
  });

  it('a value that is not valid YAML is taken as a plain string', () => {
    expect(load('description=a: b: c').description).toBe('a: b: c');
  });

  it('YAML lists and mappings, creating a new station and routing to it', () => {
    const s = load(
      'topology.stations.db={servers: 2, service_ms: {dist: constant, value: 5}}',
      'topology.stations.api.next=[{to: db, p: 0.25}, {to: api, p: 0.5}]',
    );
    expect(s.topology!.stations.db).toEqual({ servers: 2, service_ms: { dist: 'constant', value: 5 }, deadline_aware: false });
    expect(s.topology!.stations.api.next).toEqual([
      { to: 'db', p: 0.25 },
      { to: 'api', p: 0.5 },
    ]);
  });

  it('missing intermediate objects are created', () => {
    const s = load('limits.max_queue=50', 'workload.arrivals.profile.points=[[0, 1], [10, 2]]', 'topology.stations.api.queue_limit=7');
    expect(s.limits).toEqual({ max_events: 2_000_000_000, max_wall_s: 3600, max_queue: 50 });
    expect(s.workload.arrivals).toEqual({ kind: 'poisson', rate_per_s: 9, profile: { points: [[0, 1], [10, 2]] } });
    expect(s.topology!.stations.api.queue_limit).toBe(7);
  });

  it('numeric segments index existing lists', () => {
    const s = load(
      'topology.stations.db={servers: 1, service_ms: {dist: constant, value: 1}}',
      'topology.stations.api.next=[{to: db, p: 0.3}, {to: api, p: 0.2}]',
      'topology.stations.api.next.1.p=0.6',
      'topology.stations.api.next.0.to=api',
    );
    const next = s.topology!.stations.api.next;
    expect(Array.isArray(next)).toBe(true);
    expect(next).toEqual([
      { to: 'api', p: 0.3 },
      { to: 'api', p: 0.6 },
    ]);
  });

  it('the last override of a path wins, and overrides are validated', () => {
    expect(load('topology.stations.api.servers=3', 'topology.stations.api.servers=4').topology!.stations.api.servers).toBe(4);
    expect(userError(() => load('topology.stations.api.servers=0'))).toBe(
      `${EXAMPLE}: topology.stations.api.servers: expected a positive integer, got 0`,
    );
    expect(userError(() => load('topology.stations.api.srvers=3'))).toContain(
      'topology.stations.api.srvers: unknown key "srvers" (did you mean "servers"?)',
    );
  });

  it('malformed overrides say what was expected', () => {
    expect(userError(() => load('topology.stations.api.servers'))).toBe(
      '--set topology.stations.api.servers: expected path=value, e.g. topology.stations.api.servers=12',
    );
    expect(userError(() => load('=3'))).toMatch(/^--set =3: expected path=value/);
    expect(userError(() => load('topology..servers=3'))).toBe('--set topology..servers=3: empty segment in path "topology..servers"');
    expect(userError(() => load('name.first=x'))).toBe('--set name.first=x: name is "mmc-example", not an object or list');
  });

  it('cannot reach object prototypes', () => {
    expect(userError(() => load('__proto__.servers=0'))).toBe('--set __proto__.servers=0: "__proto__" is not a scenario field');
    expect(userError(() => load('topology.stations.__proto__.x=1'))).toMatch(/^--set topology\.stations\.__proto__\.x=1: /);
    expect(({} as Record<string, unknown>).servers).toBeUndefined();
    expect(userError(() => load('constructor.prototype.x=1'))).toBe('--set constructor.prototype.x=1: "constructor" is not a scenario field');
    expect(userError(() => load('topology.stations.api.constructor.prototype.servers=1'))).toMatch(/"constructor" is not a scenario field$/);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('does not touch the file on disk', () => {
    load('topology.stations.api.servers=12');
    expect(readFileSync(EXAMPLE, 'utf8')).toBe(EXAMPLE_TEXT);
  });
});

describe('unknown keys', () => {
  it.each([
    ['top level', (d: any) => (d.duraton_s = 5), 'duraton_s', 'duration_s'],
    ['station', (d: any) => (d.topology.stations.api.srvers = 5), 'topology.stations.api.srvers', 'servers'],
    ['topology', (d: any) => (d.topology.entyr = 'api'), 'topology.entyr', 'entry'],
    ['arrivals', (d: any) => (d.workload.arrivals.rate_per_sec = 5), 'workload.arrivals.rate_per_sec', 'rate_per_s'],
    ['distribution', (d: any) => (d.topology.stations.api.service_ms.maen = 5), 'topology.stations.api.service_ms.maen', 'mean'],
    ['limits', (d: any) => (d.limits = { max_evnts: 5 }), 'limits.max_evnts', 'max_events'],
  ])('%s: names the field path and suggests the closest key', (_what, mutate, path, suggestion) => {
    const key = path.split('.').pop()!;
    const msg = mutatedError(mutate);
    expect(msg).toMatch(new RegExp(`^s\\.yaml: ${escape(path)}: unknown key "${key}" \\(did you mean "${suggestion}"\\?\\); expected one of: `));
  });

  it.each([
    ['duration_s', 'duraton_s', (d: any) => d],
    ['servers', 'srvers', (d: any) => d.topology.stations.api],
    ['mean', 'maen', (d: any) => d.topology.stations.api.service_ms],
  ])('a misspelt required key (%s) is reported as the unknown key, with the hint, not as a missing key', (right, wrong, holder) => {
    const msg = mutatedError((d) => {
      const h = holder(d);
      h[wrong] = h[right];
      delete h[right];
    });
    // The missing key it was meant to be is not reported besides: the one line explains both.
    expect(msg).toMatch(new RegExp(`[ .]${wrong}: unknown key "${wrong}" \\(did you mean "${right}"\\?\\); expected one of: [^\\n]*$`));
  });

  it('a key far from every known key gets no suggestion but the list of known keys', () => {
    const msg = mutatedError((d) => (d.topology.stations.api.zzzzzzzz = 1));
    expect(msg).toBe(
      's.yaml: topology.stations.api.zzzzzzzz: unknown key "zzzzzzzz"; expected one of: servers, service_ms, queue_limit, timeout_ms, deadline_aware, shed_wait_ms, next',
    );
  });
});

describe('wrong types and out-of-range values: "file: path: expected ..., got ..."', () => {
  it.each<[string, (d: any) => void, string]>([
    ['servers 0 (the issue example)', (d) => (d.topology.stations.api.servers = 0), 'topology.stations.api.servers: expected a positive integer, got 0'],
    ['servers fractional', (d) => (d.topology.stations.api.servers = 2.5), 'topology.stations.api.servers: expected a positive integer, got 2.5'],
    ['servers as a string', (d) => (d.topology.stations.api.servers = '10'), 'topology.stations.api.servers: expected a positive integer, got "10"'],
    ['duration_s negative', (d) => (d.duration_s = -5), 'duration_s: expected a positive number, got -5'],
    ['duration_s missing', (d) => delete d.duration_s, 'duration_s: expected a positive number, got nothing'],
    ['warmup_s negative', (d) => (d.warmup_s = -1), 'warmup_s: expected a number >= 0, got -1'],
    ['seed fractional', (d) => (d.seed = 1.5), 'seed: expected an integer in [0, 2^53), got 1.5'],
    ['replications 0', (d) => (d.replications = 0), 'replications: expected a positive integer, got 0'],
    ['name missing', (d) => delete d.name, 'name: expected a name, got nothing'],
    ['queue_limit negative', (d) => (d.topology.stations.api.queue_limit = -1), 'topology.stations.api.queue_limit: expected an integer >= 0, got -1'],
    ['timeout_ms 0', (d) => (d.topology.stations.api.timeout_ms = 0), 'topology.stations.api.timeout_ms: expected a positive number, got 0'],
    ['rate_per_s 0', (d) => (d.workload.arrivals.rate_per_s = 0), 'workload.arrivals.rate_per_s: expected a positive number, got 0'],
    ['arrivals kind unknown', (d) => (d.workload.arrivals.kind = 'poison'), 'workload.arrivals.kind: expected one of poisson, gamma, trace, got "poison"'],
    ['gamma arrivals without cv', (d) => (d.workload.arrivals = { kind: 'gamma', rate_per_s: 3 }), 'workload.arrivals.cv: expected a positive number, got nothing'],
    ['route probability above 1', (d) => (d.topology.stations.api.next = [{ to: 'api', p: 1.5 }]), 'topology.stations.api.next[0].p: expected a probability in [0, 1], got 1.5'],
    ['infinite mean', (d) => (d.topology.stations.api.service_ms.mean = Infinity), 'topology.stations.api.service_ms.mean: expected a positive number, got Infinity'],
    ['no stations', (d) => (d.topology.stations = {}), 'topology.stations: expected at least one station, got {}'],
    [
      'profile knots not increasing',
      (d) => (d.workload.arrivals.profile = { points: [[0, 1], [0, 2]] }),
      'workload.arrivals.profile.points: expected strictly increasing t_s, got [[0,1],[0,2]]',
    ],
    [
      'profile not starting at 0',
      (d) => (d.workload.arrivals.profile = { points: [[5, 1], [10, 2]] }),
      'workload.arrivals.profile.points: expected the first point at t_s = 0, got [[5,1],[10,2]]',
    ],
  ])('%s', (_what, mutate, expected) => {
    expect(mutatedError(mutate)).toBe(`s.yaml: ${expected}`);
  });

  it('every schema error has the one-line "file: path: expected ..., got ..." shape', () => {
    const mutations: ((d: any) => void)[] = [
      (d) => (d.topology.stations.api.servers = null),
      (d) => (d.topology.stations.api.service_ms = 'fast'),
      (d) => (d.topology = []),
      (d) => (d.workload = { arrivals: 3 }),
      (d) => (d.topology.stations.api.next = 5),
      (d) => (d.window_s = 'x'),
    ];
    for (const m of mutations) expect(mutatedError(m)).toMatch(/^s\.yaml: [\w.[\]]+: expected .+, got .+$/);
  });

  it('an infinite value written in YAML (.inf) is reported as Infinity, not null, at its line and column', () => {
    const text = EXAMPLE_TEXT.replace('mean: 1000', 'mean: .inf');
    const f = write('inf.yaml', text);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('.inf'));
    const col = lines[line].indexOf('.inf') + 1;
    expect(userError(() => loadScenario(f))).toBe(`${f}:${line + 1}:${col}: topology.stations.api.service_ms.mean: expected a positive number, got Infinity`);
  });

  it('several problems: each on a line of its own, unknown keys first', () => {
    let msg = '';
    try {
      validateMutated((d) => {
        delete d.name;
        d.duration_s = -1;
        d.topology.stations.api.servers = 0;
        d.topology.stations.api.zzzzzzzz = 1;
      });
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      msg = (e as Error).message;
    }
    const lines = msg.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^s\.yaml: topology\.stations\.api\.zzzzzzzz: unknown key "zzzzzzzz"/);
    expect(lines.slice(1).sort()).toEqual([
      's.yaml: duration_s: expected a positive number, got -1',
      's.yaml: name: expected a name, got nothing',
      's.yaml: topology.stations.api.servers: expected a positive integer, got 0',
    ]);
  });

  it('lists at most MAX_PROBLEMS problems and counts the rest', () => {
    let msg = '';
    try {
      validateMutated((d) => {
        for (let n = 0; n < MAX_PROBLEMS + 5; n++) d.topology.stations[`s${n}`] = { servers: 0, service_ms: { dist: 'constant', value: 1 } };
      });
    } catch (e) {
      msg = (e as Error).message;
    }
    const lines = msg.split('\n');
    expect(lines).toHaveLength(MAX_PROBLEMS + 1);
    expect(lines[MAX_PROBLEMS]).toBe('s.yaml: and 5 more problems');
  });
});

describe('YAML syntax', () => {
  it('invalid YAML names file:line:col', () => {
    const f = write('bad.yaml', 'name: x\nduration_s: 10\nworkload: [1, 2\ntopology: {}\n');
    expect(userError(() => loadScenario(f))).toMatch(new RegExp(`^${escape(f)}:4:1: invalid YAML: \\S`));
    const tabs = write('tabs.yaml', 'name: x\n\tduration_s: 1\n');
    expect(userError(() => loadScenario(tabs))).toBe(`${tabs}:2:1: invalid YAML: Tabs are not allowed as indentation`);
  });

  it('duplicate keys are errors, with their position', () => {
    const top = write('dup.yaml', `${EXAMPLE_TEXT}seed: 8\n`);
    expect(userError(() => loadScenario(top))).toBe(`${top}:13:1: invalid YAML: Map keys must be unique`);
    const nested = write('dup-nested.yaml', EXAMPLE_TEXT.replace('      servers: 10\n', '      servers: 10\n      servers: 12\n'));
    expect(userError(() => loadScenario(nested))).toBe(`${nested}:12:7: invalid YAML: Map keys must be unique`);
  });
});

describe('references', () => {
  const twoStations = (d: any) => {
    d.topology.stations.db = { servers: 1, service_ms: { dist: 'constant', value: 5 } };
  };

  it('an unknown next target names the path and suggests a station', () => {
    expect(
      mutatedError((d) => {
        twoStations(d);
        d.topology.stations.api.next = 'dbb';
      }),
    ).toBe('s.yaml: topology.stations.api.next: expected a station name (api, db), got "dbb" (did you mean "db"?)');
    expect(
      mutatedError((d) => {
        twoStations(d);
        d.topology.stations.api.next = [
          { to: 'db', p: 0.5 },
          { to: 'cache', p: 0.1 },
        ];
      }),
    ).toBe('s.yaml: topology.stations.api.next[1].to: expected a station name (api, db), got "cache"');
  });

  it('an unknown entry names topology.entry', () => {
    expect(mutatedError((d) => (d.topology.entry = 'apu'))).toBe(
      's.yaml: topology.entry: expected a station name (api), got "apu" (did you mean "api"?)',
    );
  });

  it('routing probabilities may sum to 1 (with rounding) but not above', () => {
    const ok = validateMutated((d) => {
      twoStations(d);
      d.topology.stations.api.next = [
        { to: 'db', p: 0.1 },
        { to: 'api', p: 0.2 },
        { to: 'db', p: 0.7 },
      ];
    });
    expect(ok.topology!.stations.api.next).toHaveLength(3);
    expect(
      mutatedError((d) => {
        twoStations(d);
        d.topology.stations.api.next = [
          { to: 'db', p: 0.6 },
          { to: 'api', p: 0.5 },
        ];
      }),
    ).toBe('s.yaml: topology.stations.api.next: expected probabilities that sum to at most 1, got 1.1');
  });

  it('exactly one of topology and fleet', () => {
    expect(mutatedError((d) => delete d.topology)).toBe('s.yaml: (top level): expected exactly one of "topology" (a station network) or "fleet" (an LLM fleet)');
  });

  it('warmup_s must be below duration_s', () => {
    expect(mutatedError((d) => (d.warmup_s = 2000))).toBe('s.yaml: warmup_s: expected less than duration_s (2000), got 2000');
    expect(mutatedError((d) => (d.warmup_s = 5000))).toBe('s.yaml: warmup_s: expected less than duration_s (2000), got 5000');
    expect(validateMutated((d) => (d.warmup_s = 1999.5)).warmup_s).toBe(1999.5);
  });
});

describe('service distributions', () => {
  const svc = (spec: unknown) => validateMutated((d) => (d.topology.stations.api.service_ms = spec)).topology!.stations.api.service_ms;
  const svcError = (spec: unknown) => mutatedError((d) => (d.topology.stations.api.service_ms = spec));
  const P = 's.yaml: topology.stations.api.service_ms';

  const valid = [
    { dist: 'constant', value: 100 },
    { dist: 'constant', value: 0 },
    { dist: 'uniform', min: 10, max: 20 },
    { dist: 'exponential', mean: 1000 },
    { dist: 'normal', mean: 50, sd: 10 },
    { dist: 'lognormal', mean: 100, p99: 500 },
    { dist: 'lognormal', mu: 4, sigma: 0.5 },
    { dist: 'gamma', mean: 100, cv: 2 },
    { dist: 'weibull', shape: 1.5, scale: 100 },
    { dist: 'pareto', shape: 2.5, scale: 10 },
    { dist: 'empirical', samples: [1, 2, 3, 10] },
  ];
  it.each(valid)('accepts %o, and it builds a sampler of finite non-negative values', (spec) => {
    const parsed = svc(spec);
    expect(parsed).toEqual(spec);
    const sampler = makeSampler(parsed, stream(1, 'test'));
    for (let i = 0; i < 100; i++) {
      const x = sampler.sample();
      expect(Number.isFinite(x) && x >= 0, `sample ${x} of ${JSON.stringify(spec)}`).toBe(true);
    }
  });

  it.each<[unknown, string]>([
    [{ dist: 'constant', value: -1 }, `${P}.value: expected a number >= 0, got -1`],
    [{ dist: 'constant' }, `${P}.value: expected a number >= 0, got nothing`],
    [{ dist: 'uniform', min: 5, max: 1 }, `${P}.max: expected max >= min, got {"dist":"uniform","min":5,"max":1}`],
    [{ dist: 'exponential', mean: 0 }, `${P}.mean: expected a positive number, got 0`],
    [{ dist: 'exponential', mean: 'slow' }, `${P}.mean: expected a positive number, got "slow"`],
    [{ dist: 'normal', mean: 5, sd: -1 }, `${P}.sd: expected a number >= 0, got -1`],
    [{ dist: 'gamma', mean: 5 }, `${P}.cv: expected a positive number, got nothing`],
    [{ dist: 'weibull', shape: 0, scale: 1 }, `${P}.shape: expected a positive number, got 0`],
    [{ dist: 'pareto', shape: -1, scale: 1 }, `${P}.shape: expected a positive number, got -1`],
    [{ dist: 'pareto', shape: 1, scale: 1 }, `${P}.shape: expected > 1 (finite mean), got 1`],
    [{ dist: 'empirical', samples: [] }, `${P}.samples: expected at least one sample, got []`],
    [{ dist: 'empirical', samples: [1, -2] }, `${P}.samples[1]: expected a number >= 0, got -2`],
    [{ dist: 'exponential', mean: 5, sd: 1 }, `${P}.sd: unknown key "sd"; expected one of: dist, mean`],
    [{ dist: 'expo', mean: 5 }, `${P}.dist: expected one of constant, uniform, exponential, normal, lognormal, gamma, weibull, pareto, empirical, got "expo"`],
    [{ mean: 5 }, `${P}.dist: expected one of constant, uniform, exponential, normal, lognormal, gamma, weibull, pareto, empirical, got nothing`],
  ])('rejects %o', (spec, expected) => {
    expect(svcError(spec)).toBe(expected);
  });

  describe('lognormal needs exactly one of {mean, p99} and {mu, sigma}', () => {
    it.each([
      [{ dist: 'lognormal' }],
      [{ dist: 'lognormal', mean: 10 }],
      [{ dist: 'lognormal', mean: 10, sigma: 1 }],
      [{ dist: 'lognormal', mu: 1, p99: 50 }],
      [{ dist: 'lognormal', mean: 10, p99: 50, mu: 1, sigma: 1 }],
      // One complete pair plus a stray key of the other pair: ambiguous, so rejected.
      [{ dist: 'lognormal', mean: 10, p99: 50, sigma: 1 }],
      [{ dist: 'lognormal', mu: 1, sigma: 1, p99: 50 }],
      [{ dist: 'lognormal', mu: 1, sigma: 1, mean: 10 }],
    ])('rejects %o', (spec) => {
      const msg = svcError(spec);
      expect(msg).toMatch(new RegExp(`^${escape(P)}: expected either \\{mean, p99\\} or \\{mu, sigma\\}, got \\{`));
      // The offending input is shown (keys in schema order).
      for (const [k, v] of Object.entries(spec)) expect(msg).toContain(`"${k}":${JSON.stringify(v)}`);
    });

    it('p99 must be above the mean and at most ~14.97 x the mean', () => {
      expect(svcError({ dist: 'lognormal', mean: 10, p99: 10 })).toBe(
        `${P}.p99: expected mean < p99 <= 14.9 x mean (a lognormal cannot be more skewed), got 10`,
      );
      expect(svcError({ dist: 'lognormal', mean: 10, p99: 150 })).toMatch(/\.p99: expected mean < p99/);
      expect(svc({ dist: 'lognormal', mean: 10, p99: 149 })).toEqual({ dist: 'lognormal', mean: 10, p99: 149 });
    });

    it('every lognormal the schema accepts builds a sampler (property)', () => {
      const maybe = (arb: fc.Arbitrary<number>) => fc.option(arb, { nil: undefined, freq: 2 });
      const pos = fc.double({ min: 0.01, max: 1e4, noNaN: true });
      fc.assert(
        fc.property(maybe(pos), maybe(pos), maybe(fc.double({ min: -5, max: 10, noNaN: true })), maybe(fc.double({ min: 0.01, max: 3, noNaN: true })), (mean, p99, mu, sigma) => {
          const spec: Record<string, unknown> = { dist: 'lognormal' };
          if (mean !== undefined) spec.mean = mean;
          if (p99 !== undefined) spec.p99 = p99;
          if (mu !== undefined) spec.mu = mu;
          if (sigma !== undefined) spec.sigma = sigma;
          let parsed;
          try {
            parsed = svc(spec);
          } catch (e) {
            if (e instanceof UserError) return; // rejected with a user-facing message: fine
            throw e;
          }
          const x = makeSampler(parsed, stream(3, 'prop')).sample();
          expect(Number.isFinite(x) && x > 0).toBe(true);
        }),
        { seed: 4242, numRuns: 400 },
      );
    });
  });
});

describe('fleetsim schema (JSON Schema of scenario files)', () => {
  const schema = scenarioJsonSchema() as Record<string, any>;

  it('is a draft 2020-12 object schema that lists the required top-level keys', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.type).toBe('object');
    expect(schema.title).toBe('fleetsim scenario');
    expect(schema.additionalProperties).toBe(false);
    // topology is one of two alternatives (topology | fleet), so neither is required by itself;
    // "exactly one" is checked after the schema (see the references tests).
    expect([...schema.required].sort()).toEqual(['duration_s', 'name', 'workload']);
    expect(schema.properties).toHaveProperty('topology');
    expect(schema.properties).toHaveProperty('fleet');
    // Fields with defaults are optional in files.
    for (const k of ['seed', 'warmup_s', 'replications', 'limits']) expect(schema.required).not.toContain(k);
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it('describes stations: servers is an integer > 0, and every station field is listed', () => {
    const station = schema.properties.topology.properties.stations.additionalProperties;
    expect(Object.keys(station.properties).sort()).toEqual(['deadline_aware', 'next', 'queue_limit', 'servers', 'service_ms', 'shed_wait_ms', 'timeout_ms']);
    expect(station.required.sort()).toEqual(['servers', 'service_ms']);
    expect(station.additionalProperties).toBe(false);
    expect(station.properties.servers.type).toBe('integer');
    expect(station.properties.servers.exclusiveMinimum).toBe(0);
    const dists = station.properties.service_ms.oneOf.map((b: any) => b.properties.dist.const);
    expect(dists.sort()).toEqual(['constant', 'empirical', 'exponential', 'gamma', 'lognormal', 'normal', 'pareto', 'uniform', 'weibull']);
    const kinds = schema.properties.workload.properties.arrivals.oneOf.map((b: any) => b.properties.kind.const);
    expect(kinds.sort()).toEqual(['gamma', 'poisson', 'trace']);
  });

  it('the example scenario satisfies it, and broken variants do not', () => {
    expect(checkJsonSchema(schema, exampleDoc())).toEqual([]);
    const bad: [(d: any) => void, RegExp][] = [
      [(d) => (d.topology.stations.api.servers = 0), /stations\.api\.servers: not > 0/],
      [(d) => (d.topology.stations.api.servers = 1.5), /stations\.api\.servers: expected type integer/],
      [(d) => (d.topology.stations.api.srvers = 1), /stations\.api\.srvers: not allowed/],
      [(d) => delete d.duration_s, /\$\.duration_s: required/],
      [(d) => (d.topology.stations.api.service_ms.dist = 'expo'), /service_ms: matches 0 of oneOf/],
    ];
    for (const [mutate, problem] of bad) {
      const d = exampleDoc();
      mutate(d);
      expect(checkJsonSchema(schema, d).join('\n')).toMatch(problem);
    }
  });
});

// The scenario's directory, used to resolve relative paths (traces), is the file's directory.
it('dir is the absolute directory of the scenario file even when given a relative path', () => {
  const rel = join('scenarios', 'mmc-example.yaml');
  const cwd = process.cwd();
  process.chdir(REPO);
  try {
    expect(loadScenario(rel).dir).toBe(dirname(EXAMPLE));
  } finally {
    process.chdir(cwd);
  }
});

describe('--set with keys that contain dots', () => {
  it('matches the longest existing key: fleet.models.gpt-3.5-turbo.gpus', async () => {
    const { loadScenario } = await import('../../src/scenario/load.ts');
    const s = loadScenario('scenarios/openai-2024.yaml', ['fleet.models.gpt-3.5-turbo.gpus=12000']).scenario;
    expect(s.fleet!.models['gpt-3.5-turbo'].gpus).toBe(12000);
    expect(Object.keys(s.fleet!.models)).toEqual(['gpt-4', 'gpt-3.5-turbo', 'text-embedding-ada-002']);
  });
});
