import type { Command } from 'commander';
import { collect } from './options.ts';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a scenario file (schema, references, traces) and print the capacity check, without simulating')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .action(async (file: string, opts: { set: string[] }) => {
      // Loaded here rather than at start-up, and the capacity check (the step-time model) only after
      // the verdict is out: the first line comes as soon as the scenario is known to be valid.
      const [{ loadScenario }, { prepare }] = await Promise.all([import('../scenario/load.ts'), import('../scenario/prepare.ts')]);
      const prep = prepare(loadScenario(file, opts.set));
      process.stdout.write(`${file}: valid scenario "${prep.scenario.name}"\n`);
      const { capacityCheck } = await import('./capacity-check.ts');
      process.stdout.write(`${capacityCheck(prep).text}\n`);
    });
}
