import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplications } from '../../src/experiment/replications.ts';

const FILE = join(REPO, 'scenarios/disaggregated.yaml');
const run = (sets: string[]) => runReplications(prepare(loadScenario(FILE, ['duration_s=30', 'warmup_s=5', ...sets], [join(REPO, 'scenarios')])), 1, 1).summary;

describe('scenarios/disaggregated.yaml', () => {
  it('sets a disaggregated model beside its colocated equivalent at the same GPU count and bill', () => {
    const s = run([]);
    expect(s.gpu!.colocated.replicas).toBe(12);
    expect(s.gpu!.disaggregated.replicas).toBe(12);
    expect(s.by_model!.disaggregated.disaggregation).toMatchObject({ prefill_replicas: 6, decode_replicas: 6 });
    const c = s.cost!.by_component;
    expect(c['gpu:disaggregated:prefill'] + c['gpu:disaggregated:decode']).toBe(c['gpu:colocated']);
    for (const m of ['colocated', 'disaggregated']) expect(s.by_model![m].requests.completed).toBeGreaterThan(300);
  });

  it('the P:D split is one knob at a fixed GPU count, and its kv-link incident runs', () => {
    const s = run(['fleet.models.disaggregated.disaggregation.prefill.gpus=4', 'faults=[{kind: kv-link, target: "gpu:disaggregated", at_s: 10, duration_s: 10}]']);
    expect(s.by_model!.disaggregated.disaggregation).toMatchObject({ prefill_replicas: 4, decode_replicas: 8 });
    expect(s.by_model!.disaggregated.disaggregation!.lost_on_kv_link).toBeGreaterThan(50);
    expect(s.by_model!.colocated.requests.failed).toBe(0);
  });
});
