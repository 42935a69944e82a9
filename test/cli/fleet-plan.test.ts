import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetsim, REPO, show } from '../helpers/cli.ts';

const TWO = join(REPO, 'test/experiment/fixtures/fleet-plan-two-models.yaml');
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-fleet-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fleetsim plan --fleet', () => {
  it('writes plan.json, plan.csv, the confirmed summary and a frontier chart per model and for the fleet', async () => {
    const out = join(dir, 'out');
    const r = await fleetsim(['plan', TWO, '--fleet', '--gpus', 'l4,a10g', '--tp', '1', '--jobs', '2', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toMatch(/chosen fleet: \$[\d,]+\/month/);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    expect(plan.kind).toBe('fleet-plan');
    expect(plan.confirmed).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    // The chosen fleet's bill is the one its confirmation run charged.
    expect(plan.chosen.monthly_usd).toBeCloseTo(summary.cost.monthly_usd, 0);
    const csv = readFileSync(join(out, 'plan.csv'), 'utf8').trim().split('\n');
    expect(csv.length - 1).toBe(plan.models.reduce((n: number, m: { trials: unknown[] }) => n + m.trials.length, 0));
    for (const id of ['frontier-chat', 'frontier-complete', 'frontier-fleet']) expect(existsSync(join(out, 'charts', `${id}.svg`)), id).toBe(true);
  }, 600_000);

  it.each([
    [['--fleet', '--slo', 'latency_ms.e2e.p99<=100'], /plan --fleet: --slo belongs to the one-knob plan/],
    [['--gpus', 'l4'], /plan: --gpus needs --fleet/],
    [['--fleet', '--gpus', 'l5'], /--gpus: unknown GPU "l5"/],
    [['--fleet', '--tp', '0'], /--tp 0: expected whole numbers from 1 to 72/],
    [['--fleet', '--constraint', 'watts<=5'], /--constraint watts<=5: expected metric<=value|unknown metric/],
    [['--fleet', '--step-time-margin', '-0.1'], /--step-time-margin -0.1: expected a fraction from 0 to 1/],
    [['--fleet', '--step-time-margin', 'x'], /--step-time-margin x: expected a fraction from 0 to 1/],
    [['--fleet', '--step-time-margin', '0.5', '--set', 'fleet.models.chat.step_time_factor=8'], /fleet\.models\.chat\.step_time_factor would be 12, above 10/],
  ])('refuses %j with one line and exit 2', async (flags, message) => {
    const r = await fleetsim(['plan', TWO, ...flags]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('--step-time-margin plans for slower GPUs: the same search at 1.2x every step time chooses at least as many replicas and says so first', async () => {
    const flags = ['plan', TWO, '--fleet', '--gpus', 'l4', '--tp', '1', '--jobs', '2'];
    const nominal = await fleetsim([...flags, '--json']);
    const margined = await fleetsim([...flags, '--step-time-margin', '0.2', '--json']);
    expect(nominal.code, show(nominal)).toBe(0);
    expect(margined.code, show(margined)).toBe(0);
    const [a, b] = [JSON.parse(nominal.stdout), JSON.parse(margined.stdout)];
    expect([a.step_time_margin, b.step_time_margin]).toEqual([0, 0.2]);
    const replicas = (p: { chosen: { picks: { model: string; replicas: number }[] } }, m: string) => p.chosen.picks.find((t) => t.model === m)!.replicas;
    for (const m of ['chat', 'complete']) expect(replicas(b, m), m).toBeGreaterThanOrEqual(replicas(a, m));
    expect(b.chosen.monthly_usd).toBeGreaterThan(a.chosen.monthly_usd);
    const text = await fleetsim([...flags, '--step-time-margin', '0.2']);
    expect(text.stdout.split('\n')[1]).toBe("every GPU step at 1.2x the step model's time (--step-time-margin 0.2): the fleet holds its SLOs if fleetsim reads the GPUs 20% fast");
  }, 600_000);
});
