import type { Command } from 'commander';
import { z } from 'zod';
import { ScenarioSchema } from '../scenario/schema.ts';
import { SummarySchema } from '../results/summary-schema.ts';

/** JSON Schema of scenario files, generated from the zod schema (input side: defaults optional). */
export function scenarioJsonSchema(): object {
  return {
    ...z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'fleetsim scenario',
  };
}

/** Where summary.json's JSON Schema is published (its `$id`): src/report/summary.schema.json on main. */
export const SUMMARY_SCHEMA_ID = 'https://github.com/fleetsim/fleetsim/blob/main/src/report/summary.schema.json';

/**
 * JSON Schema of summary.json, generated from its zod declaration (results/summary-schema.ts);
 * src/report/summary.schema.json is this, committed (a test fails when the two differ).
 */
export function summaryJsonSchema(): object {
  const { $schema, ...generated } = z.toJSONSchema(SummarySchema, { io: 'output', target: 'draft-2020-12' });
  return {
    $schema,
    $id: SUMMARY_SCHEMA_ID,
    title: 'fleetsim summary.json',
    description:
      'The result of `fleetsim run --out DIR` (DIR/summary.json) or `fleetsim run --json`, for both station networks and LLM fleets. With --replications N > 1 every figure is the mean over replications and each block has a sibling `ci95`. Generated from src/results/summary-schema.ts by `fleetsim schema --summary`.',
    ...generated,
  };
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editor validation and completion), or with --summary that of summary.json')
    .option('--summary', 'print the JSON Schema of summary.json instead (src/report/summary.schema.json is this output)')
    .action((opts: { summary?: boolean }) => {
      const schema = opts.summary ? summaryJsonSchema() : scenarioJsonSchema();
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
}
