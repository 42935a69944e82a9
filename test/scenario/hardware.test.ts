import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchingInstance } from '../../src/cost/prices.ts';
import { planSweep } from '../../src/experiment/sweep.ts';
import { fleetMonthlyCost } from '../../src/fleet/llm/cost.ts';
import { loadScenario, validateScenario } from '../../src/scenario/load.ts';
import { readDocument } from '../../src/scenario/document.ts';
import { REPO } from '../helpers/cli.ts';
import { userError } from '../helpers/errors.ts';

const FILE = 'scenarios/openai-2024.yaml';
const SAMPLED = join(REPO, 'test/experiment/fixtures/sampled-fleet.yaml');
const gpt4 = (sets: string[]) => loadScenario(FILE, sets).scenario.fleet!;
/** AWS us-east-1 on-demand list prices of 2024 (USD per instance-hour), 8 GPUs each; 730 h a month. */
const P4DE_2024 = 40.9657;
const P5_2024 = 98.32;

describe('a served model hardware: GPU and instance from one catalog', () => {
  it('choosing a GPU with --set picks its instance, and the bill follows', () => {
    const a100 = gpt4([]);
    const h100 = gpt4(['fleet.models.gpt-4.gpu=h100-80gb']);
    expect(a100.models['gpt-4'].instance).toBe('p4de.24xlarge');
    expect(h100.models['gpt-4'].instance).toBe('p5.48xlarge');
    // 25,000 GPUs over regions of 0.5 / 0.3 / 0.2 = 1,563 + 938 + 625 eight-GPU instances all month
    // (no instance spans two regions)
    expect(fleetMonthlyCost(a100, 1).by_component['gpu:gpt-4']).toBeCloseTo(3126 * P4DE_2024 * 730, 0);
    expect(fleetMonthlyCost(h100, 1).by_component['gpu:gpt-4']).toBeCloseTo(3126 * P5_2024 * 730, 0);
  });

  it('refuses a GPU and an instance that do not match, naming the instance', () => {
    const both = userError(() => gpt4(['fleet.models.gpt-4.gpu=h100-80gb', 'fleet.models.gpt-4.instance=p4de.24xlarge']));
    expect(both).toBe(
      `${FILE}: fleet.models.gpt-4.instance: p4de.24xlarge carries a100-80gb GPUs, not the model's h100-80gb (fleet.models.gpt-4.gpu); expected an instance carrying h100-80gb (p5.48xlarge), or leave the instance out to take the catalog's`,
    );
    expect(userError(() => gpt4(['fleet.models.gpt-4.instance=p5.48xlarge']))).toContain('fleet.models.gpt-4.instance: p5.48xlarge carries h100-80gb GPUs, not the model\'s a100-80gb');
    expect(userError(() => gpt4(['fleet.models.gpt-4.instance=c6i.8xlarge']))).toContain('fleet.models.gpt-4.instance: c6i.8xlarge carries no GPU');
    // The same mismatch written in the file (no flag chose the GPU) is refused too.
    const doc = readDocument(FILE) as { fleet: { models: Record<string, { gpu: string }> } };
    doc.fleet.models['gpt-4'].gpu = 'h100-80gb';
    expect(userError(() => validateScenario(doc, FILE))).toContain('fleet.models.gpt-4.instance: p4de.24xlarge carries a100-80gb GPUs');
  });

  it('a model that names only its GPU gets the catalog instance holding a whole TP group, cheapest per GPU', () => {
    const doc = readDocument(FILE) as { fleet: { models: Record<string, { instance?: string }> } };
    delete doc.fleet.models['gpt-3.5-turbo'].instance;
    delete doc.fleet.models['text-embedding-ada-002'].instance;
    const f = validateScenario(doc, FILE).fleet!;
    expect(f.models['gpt-3.5-turbo'].instance).toBe('p3dn.24xlarge'); // the only V100 32GB instance
    // T4 at tp 1: g4dn.xlarge, $0.526 per GPU-hour, against g4dn.12xlarge's $3.912 / 4 = $0.978.
    expect(f.models['text-embedding-ada-002'].instance).toBe('g4dn.xlarge');
    expect(matchingInstance('t4', 4)?.type).toBe('g4dn.12xlarge');
    expect(matchingInstance('no-such-gpu', 1)).toBeUndefined();
  });

  it('keeps an instance priced in the scenario overrides', () => {
    const f = gpt4(['fleet.models.gpt-4.gpu=h100-80gb', 'fleet.models.gpt-4.instance=my-h100-box', 'fleet.prices.overrides={my-h100-box: 70}']);
    expect(f.models['gpt-4'].instance).toBe('my-h100-box');
  });

  it('--vary ranges over hardware: every GPU of the list comes with its own instance', () => {
    const sw = planSweep({ file: SAMPLED, vary: ['fleet.models.small.gpu=a100-80gb,h100-80gb,l40s'] });
    expect([0, 1, 2].map((k) => sw.scenario(k).fleet!.models.small.instance)).toEqual(['p4de.24xlarge', 'p5.48xlarge', 'g6e.12xlarge']);
  });
});
