import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { oneModelFleetYaml } from '../helpers/fleet.ts';
import type { Summary } from '../../src/results/summary.ts';
import { SummarySchema } from '../../src/results/summary-schema.ts';

/**
 * The eleventh hostile-input campaign of 2026-12-07: request classes and reasoning models. SLOs set
 * only on classes read "no SLO set"; a class that drew no request read as starved and failing; a
 * reasoning model whose thinking filled the context window cut every answer without a word.
 * docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-classes-');

const summaryOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;

/** Two classes, one of them with a share too small to draw a request in the run. */
const emptyClassFile = () => tmp.write('class-empty.yaml', oneModelFleetYaml({
  rate_per_s: 5,
  duration_s: 20,
  classes: '  classes:\n    a: { share: 0.9999999, priority: 0, slo: { ttft_p99_ms: 60000 } }\n    b: { share: 0.0000001, priority: 1, slo: { ttft_p99_ms: 60000 } }',
}));

describe('SLOs set only on request classes', () => {
  // about 150 completed requests a class: their p99 is thin
  const file = () => tmp.write('class-slos.yaml', oneModelFleetYaml({
    rate_per_s: 10,
    duration_s: 32,
    classes: '  classes:\n    a: { share: 0.5, priority: 0, slo: { ttft_p99_ms: 1 } }\n    b: { share: 0.5, priority: 1, slo: { ttft_p99_ms: 1 } }',
  }));

  it('a missed class SLO is a missed verdict naming the class, with a class table in the terminal, report.md and report.html (it read "no SLO set")', async () => {
    const out = join(tmp.dir(), 'class-slos');
    const r = await runMain(['run', file(), '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const s = summaryOf(out);
    expect(s.verdict.classes!.a.met).toBe(false);
    expect(r.stdout).toMatch(/^Verdict: SLO missed for classes a, b \(2 of 2 with an SLO and requests\);/m);
    expect(r.stdout).not.toMatch(/no SLO set/);
    expect(r.stdout).toMatch(/! class a: ttft p99 [\d,.]+ ms > 1 ms: MISSED \(SLO attainment 0%, goodput 0\/s\)/);
    // the class table, each class's p99 marked thin (fewer than 1,000 completed requests)
    const a = s.classes!.by_class.a;
    expect(a.completed).toBeLessThan(1000);
    const row = r.stdout.split('\n').find((l) => /^a\s+0\.5\s/.test(l));
    expect(row, r.stdout).toBeDefined();
    expect(row!.split(/\s{2,}/)).toEqual(['a', '0.5', a.offered.toLocaleString('en-US'), a.completed.toLocaleString('en-US'), expect.any(String), expect.stringMatching(/\*$/), expect.any(String), expect.stringMatching(/\*$/), 'ttft p99 <= 1 ms: MISSED', '0%', '0']);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/^### Verdict: SLO missed for classes a, b/m);
    expect(md).toMatch(/### Request classes\n\n\| class \| share \| offered \| completed \| ttft p50 \| ttft p99 \| e2e p50 \| e2e p99 \| slo \| attainment \| goodput\/s \|/);
    expect(md).toMatch(/\| a \| 0\.5 \|.*\| ttft p99 <= 1 ms: \*\*missed\*\* \| 0% \| 0 \|/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toMatch(/<h2>Verdict: SLO missed for classes a, b/);
    expect(html).toMatch(/<h3>Request classes<\/h3>/);
  });

  it('check does not pass a budget on a class percentile resting on too few requests (it passed a p99 of 150 requests)', async () => {
    const budgets = tmp.write('class-budgets.yaml', '- classes.by_class.a.latency_ms.ttft.p99 <= 100000\n');
    const r = await runMain(['check', file(), '--budgets', budgets, '--quiet']);
    expect(r.code, show(r)).toBe(1);
    expect(r.stdout).toMatch(/inconclusive: `classes\.by_class\.a\.latency_ms\.ttft\.p99 <= 100,000`: .* but its percentile rests on [\d,]+ completed requests, fewer than the 1,000/);
  });
});

describe('a request class that received no requests', () => {
  it('reads "no requests": figures null, out of Jain\'s index, its SLO not missed, and a warning (it was starved and failing)', async () => {
    const out = join(tmp.dir(), 'class-empty');
    const r = await runMain(['run', emptyClassFile(), '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const s = summaryOf(out);
    const b = s.classes!.by_class.b;
    expect(b.offered).toBe(0);
    expect(b.normalised_throughput).toBeNull();
    expect(b.slo_attainment).toBeNull();
    expect(s.classes!.fairness_jain).toBe(1); // class a alone
    expect(s.verdict.classes!.b).toEqual({ goodput_per_s: 0, slo_attainment: null, met: null, missed: [] });
    expect(s.verdict.classes!.a.met).toBe(true);
    const warning = s.verdict.warnings.find((w) => w.code === 'class_without_requests');
    expect(warning?.message).toMatch(/^request class b \(share 1e-7, with an SLO\) received no requests after warm-up: the run says nothing about it/);
    expect(r.stderr).toContain(`fleetsim: warning: ${warning!.message}`);
    expect(r.stdout).toMatch(/^Verdict: SLO met for class a; SLO not judged for class b \(no requests\);/m);
    expect(r.stdout).toMatch(/^b\s+1e-7\s+0\s+0\s+-\s+-\s+-\s+-\s+ttft p99 <= 60,000 ms: not judged\s+no requests\s+-$/m);
  });
});

describe('replicated runs with request classes', () => {
  it('their summary.json passes its own schema (the classes block, its SLO targets, batch and bill got a ci95 the schema refused)', async () => {
    const file = tmp.write('class-batch.yaml', oneModelFleetYaml({
      rate_per_s: 5,
      duration_s: 10,
      classes: '  classes:\n    a: { share: 1, priority: 0, slo: { ttft_p99_ms: 60000 } }\n    nightly: { share: 0, batch: { completion_window_h: 24, discount: 0.5, list_usd_per_mtok: 10, backlog: { requests: 20, at_s: 0, max_in_flight: 4 } } }',
    }));
    const r = await runMain(['run', file, '--replications', '2', '--json', '--quiet']);
    expect(r.code, show(r)).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.classes!.ci95).toBeDefined();
    expect(s.classes!.by_class.nightly.bill?.ci95).toBeDefined();
    const parsed = SummarySchema.safeParse(s);
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([]);
  });
});

describe('a reasoning model whose thinking fills the context window', () => {
  const reasoning = (tokens: number) => `      reasoning_tokens: { dist: constant, value: ${tokens} }`;

  it('counts the answers the window cut and warns in the summary and on stderr (TTFVT equalled e2e without a word)', async () => {
    const file = tmp.write('reasoning-cut.yaml', oneModelFleetYaml({ rate_per_s: 0.5, duration_s: 30, model: reasoning(10_000) }));
    const r = await runMain(['run', file, '--json', '--quiet']);
    expect(r.code, show(r)).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    const m = s.by_model!.m;
    expect(m.requests.offered).toBeGreaterThan(0);
    // 10,000 hidden tokens in Llama-2's 4,096-token window: every answer is cut to one token
    expect(m.reasoning_answers_cut).toBe(m.requests.offered);
    const warning = s.verdict.warnings.find((w) => w.code === 'reasoning_answers_cut');
    expect(warning?.message).toMatch(new RegExp(`^visible answers cut by the context window: m: ${m.requests.offered} of ${m.requests.offered} requests \\(100%\\)`));
    // --quiet keeps stderr for errors; without it the warning is there too
    const loud = await runMain(['run', file, '--json']);
    expect(loud.stderr).toContain(`fleetsim: warning: ${warning!.message}`);
  });

  it('thinking that fits leaves every answer whole: none counted, no warning', async () => {
    const file = tmp.write('reasoning-fits.yaml', oneModelFleetYaml({ rate_per_s: 0.5, duration_s: 30, model: reasoning(1_000) }));
    const r = await runMain(['run', file, '--json']);
    expect(r.code, show(r)).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.by_model!.m.reasoning_answers_cut).toBe(0);
    expect(s.verdict.warnings.map((w) => w.code)).not.toContain('reasoning_answers_cut');
    expect(r.stderr).not.toMatch(/visible answers cut/);
  });
});
