import type { Command } from 'commander';
import { collect } from './options.ts';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check a scenario file (schema, references, traces) and print the capacity check, without simulating')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--set <path=value>', 'override a scenario field (repeatable)', collect, [])
    .action(async (file: string, opts: { set: string[] }) => {
      // Loaded here rather than at start-up: validate needs neither the report nor the workers.
      const [{ loadScenario }, { prepare }, { inFile }] = await Promise.all([import('../scenario/load.ts'), import('../scenario/prepare.ts'), import('../util/in-file.ts')]);
      const prep = prepare(loadScenario(file, opts.set));
      const { capacityCheck } = await import('./capacity-check.ts');
      const capacity = inFile(file, () => capacityCheck(prep));
      await trialBuild(prep);
      process.stdout.write(`${file}: valid scenario "${prep.scenario.name}"\n`);
      process.stdout.write(`${capacity.text}\n`);
    });
}

/**
 * Builds the run without simulating, so that what only the built fleet can check (a fault on a pool
 * that does not exist, disaggregated pools that do not add up, budgets naming no figure of its
 * summary) is refused by validate as by run and check, not reported valid. Skipped when the run
 * would not fit in memory: run refuses that itself.
 */
async function trialBuild(prep: import('../scenario/prepare.ts').Prepared): Promise<void> {
  const [{ checkMemory }, { startRun }] = await Promise.all([import('../experiment/memory.ts'), import('../experiment/simulate.ts')]);
  try {
    checkMemory(prep.scenario, prep.file, { runs: 1, parallel: 1, threads: 0 });
  } catch {
    return;
  }
  startRun(prep, prep.scenario.seed);
  // its budgets: checked as check checks them, so that validate does not pass what check refuses
  const { precheckBudgetPaths, scenarioBudgets } = await import('./scenario-budgets.ts');
  const budgets = scenarioBudgets(prep);
  if (budgets) precheckBudgetPaths(prep, prep.scenario.seed, budgets);
}
