import type { Command } from 'commander';
import { mergeShards } from '../experiment/merge.ts';
import { sweepFiles } from '../experiment/sweep.ts';
import { renderCharts, sweepCharts } from '../experiment/sweep-charts.ts';
import { checkOutTarget, writeTree } from '../experiment/sweep-output.ts';
import { checkNotInput } from '../report/output-dir.ts';
import { renderSweep } from './sweep.ts';
import { pathArg } from './options.ts';

interface MergeOptions {
  out: string;
  quiet?: boolean;
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('combine the shard outputs of `fleetsim sweep --shard i/N` into the result of one unsharded sweep')
    .argument('<dirs...>', 'shard output directories (all N shards of one sweep)')
    .requiredOption('--out <dir>', 'write the merged sweep here (the same files as an unsharded `fleetsim sweep --out`); never one of the shard directories, nor a directory holding or inside one', pathArg)
    .option('--quiet', 'print nothing but errors')
    .action(async (dirs: string[], opts: MergeOptions) => {
      checkNotInput(opts.out, dirs);
      checkOutTarget(opts.out);
      const { meta, knobs, points } = mergeShards(dirs);
      const files = { ...sweepFiles(meta, knobs, points), ...(await renderCharts(sweepCharts(knobs, points))) };
      writeTree(opts.out, files, dirs, 'sweep');
      if (!opts.quiet) process.stdout.write(`${renderSweep(meta, knobs, points)}\n\nmerged ${dirs.length} shard${dirs.length === 1 ? '' : 's'} into ${opts.out}/\n`);
      if (points.some((p) => !p.summary.complete)) {
        process.stderr.write('fleetsim: some points stopped early at a limit and are marked incomplete\n');
        process.exitCode = 3;
      }
    });
}
