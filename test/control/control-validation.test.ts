import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.ts';
import { fleetsim, show } from '../helpers/cli.ts';

const SCENARIOS = resolve(import.meta.dirname, '../../scenarios');
const DISAGGREGATED = resolve(SCENARIOS, 'disaggregated.yaml');
const OPENAI = resolve(SCENARIOS, 'openai-2024.yaml');

/** The message loading a scenario with `control` set to this YAML refuses it with, or undefined if it loads. */
function refusal(file: string, control: string): string | undefined {
  try {
    loadScenario(file, [`control=${control}`]);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('canary and A/B deploys on a disaggregated model are refused', () => {
  it('a canary: one line naming the file, the field and the models that can take one', () => {
    const msg = refusal(DISAGGREGATED, '{deploys: [{kind: canary, model: disaggregated, at_s: 5}]}');
    expect(msg).toBe(
      `${DISAGGREGATED}: control.deploys[0].model: a canary on a disaggregated model (fleet.models.disaggregated.disaggregation) is not modelled: expected a colocated model (colocated), got "disaggregated"`,
    );
  });

  it('an A/B experiment, whichever deploy of the list it is', () => {
    const msg = refusal(DISAGGREGATED, '{deploys: [{kind: ab, model: colocated}, {kind: ab, model: disaggregated}]}');
    expect(msg).toMatch(/: control\.deploys\[1\]\.model: an A\/B experiment on a disaggregated model \(fleet\.models\.disaggregated\.disaggregation\) is not modelled/);
    expect(msg!.split('\n')).toHaveLength(1);
  });

  it('the colocated model of the same fleet still takes both', () => {
    expect(refusal(DISAGGREGATED, '{deploys: [{kind: canary, model: colocated, at_s: 5}]}')).toBeUndefined();
    expect(refusal(DISAGGREGATED, '{deploys: [{kind: ab, model: colocated}]}')).toBeUndefined();
  });

  it('fleetsim run exits 2 with that line and no stack trace', async () => {
    const r = await fleetsim(['run', 'scenarios/disaggregated.yaml', '--set', 'control={deploys: [{kind: ab, model: disaggregated}]}', '--quiet']);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr.trim().split('\n'), show(r)).toHaveLength(1);
    expect(r.stderr).toMatch(/^scenarios\/disaggregated\.yaml: control\.deploys\[0\]\.model: an A\/B experiment on a disaggregated model/);
  });
});

describe('two autoscalers on one pool are refused, naming both', () => {
  const asc = (target: string, metric: string) => `{target: "${target}", metric: ${metric}, target_value: 0.5}`;

  for (const [first, second] of [
    ['gpu:gpt-4', 'gpu:gpt-4'],
    ['gpu:gpt-4', 'gpu:gpt-4/us-east'],
    ['gpu:gpt-4/eu-west', 'gpu:gpt-4'],
  ]) {
    it(`${first} and ${second}`, () => {
      const msg = refusal(OPENAI, `{autoscalers: [${asc(first, 'queue')}, ${asc(second, 'kv')}]}`);
      expect(msg).toBe(
        `${OPENAI}: control.autoscalers[1].target: expected a pool no other autoscaler scales (control.autoscalers[0] scales "${first}": two loops on one pool undo each other's decisions), got "${second}"`,
      );
    });
  }

  it('a tier and the same tier in one region', () => {
    const msg = refusal(OPENAI, `{autoscalers: [${asc('us-west/chat_api', 'utilization')}, ${asc('gpu:gpt-4', 'kv')}, ${asc('chat_api', 'concurrency')}]}`);
    expect(msg).toMatch(/control\.autoscalers\[2\]\.target: expected a pool no other autoscaler scales \(control\.autoscalers\[0\] scales "us-west\/chat_api"/);
  });

  it('one per region, or one per tier and one per cluster, are accepted', () => {
    expect(refusal(OPENAI, `{autoscalers: [${asc('gpu:gpt-4/us-east', 'kv')}, ${asc('gpu:gpt-4/eu-west', 'kv')}, ${asc('gpu:gpt-3.5-turbo', 'kv')}]}`)).toBeUndefined();
    expect(refusal(OPENAI, `{autoscalers: [${asc('us-east/chat_api', 'utilization')}, ${asc('eu-west/chat_api', 'utilization')}, ${asc('router', 'utilization')}]}`)).toBeUndefined();
  });

  it('fleetsim validate exits 2 with one line', async () => {
    const r = await fleetsim(['validate', 'scenarios/spot-mix.yaml', '--set', `control={autoscalers: [${asc('gpu:llama', 'queue')}, ${asc('gpu:llama', 'kv')}]}`]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr.trim().split('\n'), show(r)).toHaveLength(1);
    expect(r.stderr).toMatch(/control\.autoscalers\[1\]\.target: .*control\.autoscalers\[0\] scales "gpu:llama"/);
  });
});
