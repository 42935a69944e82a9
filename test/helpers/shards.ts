import { join } from 'node:path';
import { beforeAll, expect } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from './cli.ts';

/**
 * Two shards of one sweep (`sweep ... --shard i/2`), made once for a suite in its temporary
 * directory: the merge tests copy and edit them. `sweep` is the sweep's arguments after the command.
 */
export function sweepShards(tmp: { dir: () => string }, sweep: readonly string[]): () => string[] {
  const shards = () => [join(tmp.dir(), 'shard-0'), join(tmp.dir(), 'shard-1')];
  beforeAll(async () => {
    for (const [i, dir] of shards().entries()) {
      const r = await runMain(['sweep', ...sweep, '--shard', `${i}/2`, '--out', dir]);
      expect(r.code, show(r)).toBe(0);
    }
  }, 120_000);
  return shards;
}
