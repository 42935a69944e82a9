import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';
import { checkJsonSchemaWithRefs } from '../helpers/json-schema-ref.ts';
import { runMain } from '../check/run-main.ts';
import { SUMMARY_SCHEMA_ID, summaryJsonSchema } from '../../src/cli/schema.ts';
import { SummarySchema } from '../../src/results/summary-schema.ts';
import type { Summary } from '../../src/results/summary.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplications } from '../../src/experiment/replications.ts';

/**
 * summary.json is declared once, in zod (src/results/summary-schema.ts): the `Summary` type is
 * inferred from it and the published JSON Schema (src/report/summary.schema.json) is generated
 * from it. These tests hold the committed file to the generated one, and validate real summaries
 * (a station network, a fleet with faults, failures, retries and a control plane with deploys,
 * and replications of both) against the committed file with the test's own JSON Schema checker,
 * which shares no code with zod; zod's own parse of the same documents must agree.
 */
const SCHEMA_FILE = join(REPO, 'src/report/summary.schema.json');
const committedText = readFileSync(SCHEMA_FILE, 'utf8');
const committed = JSON.parse(committedText);
const FAULTS_CONTROL = join(REPO, 'test/report/fixtures/day-faults-control.yaml');

const summaries: Record<string, Summary> = {};

beforeAll(() => {
  const run = (file: string, sets: string[], seed: number, replications: number) =>
    runReplications(prepare(loadScenario(file, sets, [join(REPO, 'scenarios')])), seed, replications).summary;
  summaries.stations = run(join(REPO, 'scenarios/mmc-example.yaml'), ['duration_s=300', 'warmup_s=30'], 1, 1);
  summaries['stations x3'] = run(join(REPO, 'scenarios/mmc-example.yaml'), ['duration_s=300', 'warmup_s=30'], 5, 3);
  summaries['faults and control'] = run(FAULTS_CONTROL, ['duration_s=150'], 1, 1);
  summaries['faults and control x2'] = run(FAULTS_CONTROL, ['duration_s=100'], 3, 2);
  summaries['reasoning model x2'] = run(join(REPO, 'scenarios/reasoning.yaml'), ['duration_s=40', 'warmup_s=10'], 1, 2);
}, 300_000);

describe('src/report/summary.schema.json is generated from the zod declaration', () => {
  it('the committed file is, byte for byte, what `fleetsim schema --summary` prints', async () => {
    const generated = `${JSON.stringify(summaryJsonSchema(), null, 2)}\n`;
    expect(committedText, 'regenerate: node src/cli/fleetsim.mjs schema --summary > src/report/summary.schema.json').toBe(generated);
    const cli = await runMain(['schema', '--summary']);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(generated);
  });

  it('keeps its published $id, draft and $defs names', () => {
    expect(committed.$id).toBe(SUMMARY_SCHEMA_ID);
    expect(SUMMARY_SCHEMA_ID.endsWith('/src/report/summary.schema.json')).toBe(true);
    expect(committed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(committed.$defs).sort()).toEqual(['ci95', 'cost', 'energy', 'fault', 'gpu', 'latency', 'model', 'number_map', 'requests', 'station'].sort());
  });

  it('keeps the field descriptions it was published with (0.2.0)', () => {
    const descriptions = new Set<string>();
    const collect = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(collect);
      else if (x !== null && typeof x === 'object') {
        for (const [k, v] of Object.entries(x)) if (k === 'description' && typeof v === 'string') descriptions.add(v);
        else collect(v);
      }
    };
    collect(committed);
    for (const text of [
      'What a reader must know first (src/results/verdict.ts; the rules are in docs/reports.md).',
      'Per model with an SLO: the binding target, its figure and whether it was met.',
      '95% confidence interval over replications',
      'the p99 with requests in flight at the end counted at their ages (e2e), or attempts still waiting for a first token (TTFT)',
      'false when a limit or Ctrl-C stopped the run before duration_s',
      'Client attempts, when the scenario has a client section.',
      'Stochastic failures, when the scenario has a failures section.',
      'e2e with the requests still in flight at the end counted at their ages (censored observations): lower bounds of the true percentiles',
      'Two-sided 95% Student-t confidence interval [lo, hi] of each numeric sibling figure (replicated runs only).',
      'Latency in ms: quantiles from DDSketch (0.5% relative accuracy), exact mean and max; null when there is no data.',
      'Requests that arrived after the warm-up; offered = completed + failed + rejected + timed_out + in_flight_at_end.',
      '(failed + rejected + timed_out) / requests that ended',
      'refused with 429 (a part of rejected)',
      'edge, services, gpu, state, control',
      'A fault window as it played out (seconds of simulated time).',
    ]) {
      expect(descriptions.has(text), text).toBe(true);
    }
  });
});

describe('real summaries against the committed schema', () => {
  it('the summaries hold what they are meant to exercise', () => {
    const fc = summaries['faults and control'];
    expect(fc.faults?.length).toBeGreaterThan(0);
    expect(fc.failures).toBeDefined();
    expect(fc.attempts?.retries).toBeGreaterThan(0);
    expect(fc.control?.deploys.map((d) => d.kind).sort()).toEqual(['blue-green', 'canary', 'rolling']);
    expect(fc.control?.deploys.find((d) => d.kind === 'canary')?.steps?.length).toBeGreaterThan(0);
    expect(fc.control?.bill).toBeDefined();
    expect(fc.control?.events.length).toBeGreaterThan(0);
    // Replicated: ci95 siblings down to the control plane's components and cost maps.
    const reps = summaries['faults and control x2'];
    expect(reps.replications).toBe(2);
    expect(Object.values(reps.control!.components).some((c) => c.ci95 !== undefined)).toBe(true);
    expect(reps.cost?.by_plane.ci95).toBeDefined();
    expect(Object.values(summaries['stations x3'].stations)[0].ci95).toBeDefined();
    // a reasoning model: TTFVT with its ci95 over replications, and the verdict's first visible token
    const reasoning = summaries['reasoning model x2'];
    expect(reasoning.by_model!.qwen3.latency_ms.ttfvt?.ci95).toBeDefined();
    expect(reasoning.verdict.first_visible_token?.qwen3.ttfvt_p99_ms).toBeGreaterThan(reasoning.verdict.first_visible_token!.qwen3.ttft_p99_ms!);
  });

  it('every one validates, with the independent checker and with zod', () => {
    for (const [name, s] of Object.entries(summaries)) {
      const doc = JSON.parse(JSON.stringify(s));
      expect(checkJsonSchemaWithRefs(committed, doc), name).toEqual([]);
      expect(SummarySchema.safeParse(doc).error?.issues, name).toBeUndefined();
    }
  });

  it('both reject what the schema rules out: unknown fields in control, a wrong deploy outcome, a string figure', () => {
    const base = JSON.parse(JSON.stringify(summaries['faults and control'])) as Record<string, any>;
    const mutations: [string, (x: any) => void, RegExp][] = [
      ['unknown field', (x) => (x.control.surprise = 1), /control\.surprise: not allowed/],
      ['deploy outcome', (x) => (x.control.deploys[0].outcome = 'vanished'), /control\.deploys\[0\]\.outcome: not in enum/],
      ['string figure', (x) => (x.control.components[Object.keys(x.control.components)[0]].mean_instances = 'many'), /mean_instances: expected type number/],
      ['missing fault end', (x) => delete x.faults[0].end_s, /faults\[0\]\.end_s: required/],
      ['ci95 of one bound', (x) => (x.requests.ci95 = { offered: [1] }), /requests\.ci95\.offered: fewer than 2 items/],
    ];
    for (const [name, mutate, message] of mutations) {
      const doc = structuredClone(base);
      mutate(doc);
      expect(checkJsonSchemaWithRefs(committed, doc).join('\n'), name).toMatch(message);
      expect(SummarySchema.safeParse(doc).success, name).toBe(false);
    }
  });
});
