import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REFERENCE_FILE, scenarioReference } from '../../src/cli/scenario-reference.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { ScenarioSchema } from '../../src/scenario/schema.ts';
import { REPO } from '../helpers/cli.ts';

/** The reference's rows: field path -> { type, default }. */
function rows(markdown: string): Map<string, { type: string; need: string }> {
  const found = new Map<string, { type: string; need: string }>();
  for (const m of markdown.matchAll(/^\| `([^`]+)` \| (.*) \| (.*) \|$/gm)) found.set(m[1], { type: m[2], need: m[3] });
  return found;
}

describe('docs/scenario-reference.md', () => {
  const reference = scenarioReference();

  it('is up to date with the schema (regenerate with `npm run docs:scenario`)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(reference);
  });

  it('names every top-level field of the schema, and the required ones as required', () => {
    const table = rows(reference);
    for (const [name, field] of Object.entries(ScenarioSchema.shape)) {
      expect(table.has(name), name).toBe(true);
      const optional = (field as { safeParse(v: unknown): { success: boolean } }).safeParse(undefined).success;
      expect(table.get(name)!.need === 'required', name).toBe(!optional);
    }
  });

  it('gives the defaults a loaded scenario really gets', () => {
    const table = rows(reference);
    // scenarios/mmc-example.yaml sets none of these.
    const sc = loadScenario(join(REPO, 'scenarios/mmc-example.yaml')).scenario;
    const defaults: [string, unknown][] = [
      ['replications', sc.replications],
      ['limits.max_events', sc.limits.max_events],
      ['limits.max_wall_s', sc.limits.max_wall_s],
      ['limits.max_queue', sc.limits.max_queue],
    ];
    for (const [path, value] of defaults) expect(table.get(path)?.need, path).toBe(`default \`${JSON.stringify(value)}\``);
    expect(readFileSync(join(REPO, 'scenarios/mmc-example.yaml'), 'utf8')).not.toMatch(/replications|limits/);
  });
});
