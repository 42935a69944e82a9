import type { Command } from 'commander';
import { z } from 'zod';
import { ScenarioSchema } from '../scenario/schema.ts';

/** JSON Schema of scenario files, generated from the zod schema (input side: defaults optional). */
export function scenarioJsonSchema(): object {
  return {
    ...z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }),
    title: 'fleetsim scenario',
  };
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of scenario files (for editor validation and completion)')
    .action(() => {
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
    });
}
