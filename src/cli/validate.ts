import type { Command } from 'commander';
import { loadScenario } from '../scenario/load.ts';
import { prepare } from '../scenario/prepare.ts';
import { capacityCheck } from './capacity-check.ts';
import { collect } from './options.ts';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a scenario file (schema, references, traces) and print the capacity check, without simulating')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .action((file: string, opts: { set: string[] }) => {
      const prep = prepare(loadScenario(file, opts.set));
      const check = capacityCheck(prep);
      process.stdout.write(`${file}: valid scenario "${prep.scenario.name}"\n${check.text}\n`);
    });
}
