import type { Command } from 'commander';
import { loadScenario } from '../scenario/load.ts';
import { prepare } from '../experiment/prepare.ts';
import { runReplications } from '../experiment/replications.ts';
import { checkReportTarget, writeReportDir } from '../report/write.ts';
import { stationsCsv, timeseriesCsv } from '../report/csv.ts';
import { renderSummary } from '../report/terminal.ts';
import { capacityCheck } from './capacity-check.ts';
import { collect, nonNegIntArg, posIntArg } from './options.ts';

interface RunOptions {
  seed?: number;
  replications?: number;
  out?: string;
  json?: boolean;
  set: string[];
  quiet?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('simulate a scenario and report latencies, errors and utilisation')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--seed <n>', 'random seed (overrides the scenario)', nonNegIntArg)
    .option('--replications <n>', 'independent runs (seeds seed..seed+n-1), with 95% confidence intervals', posIntArg)
    .option('--set <path=value>', 'override a scenario field, e.g. topology.stations.api.servers=12 (repeatable)', collect, [])
    .option('--out <dir>', 'write summary.json, timeseries.csv and stations.csv into this directory')
    .option('--json', 'print summary.json to stdout instead of the table')
    .option('--quiet', 'print nothing but errors (and the JSON with --json)')
    .action((file: string, opts: RunOptions, cmd: Command) => {
      if (opts.out) checkReportTarget(opts.out);
      const loaded = loadScenario(file, opts.set);
      const sc = loaded.scenario;
      const prep = prepare(loaded);
      const seed = opts.seed ?? sc.seed;
      const reps = opts.replications ?? sc.replications;
      const info = (s: string) => {
        if (opts.quiet) return;
        (opts.json ? process.stderr : process.stdout).write(`${s}\n`);
      };
      const check = capacityCheck(prep);
      info(check.text);
      info('');
      const exp = runReplications(prep, seed, reps);
      const summaryJson = `${JSON.stringify(exp.summary, null, 2)}\n`;
      if (opts.out) {
        writeReportDir(opts.out, {
          'summary.json': summaryJson,
          'timeseries.csv': timeseriesCsv(exp.timeseries),
          'stations.csv': stationsCsv(exp.summary),
        });
      }
      if (opts.json) process.stdout.write(summaryJson);
      else info(renderSummary(exp.summary));
      if (opts.out) info(`\nreport written to ${opts.out}/`);
      if (!exp.summary.complete) {
        process.stderr.write(`fleetsim: the run stopped early (${exp.summary.engine.stop_reason}); results cover the simulated part only and are marked incomplete (seed ${seed})\n`);
        process.exitCode = 3;
      }
    });
}
