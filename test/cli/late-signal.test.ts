import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';

/**
 * A signal that arrives while a command writes its outputs (synchronous work, after its
 * simulation) used to go unanswered: Node delivers signals between turns of the event loop and
 * the loop ended without another turn, so the command exited 0 with no word (found by injecting
 * SIGTERM at the rename that puts a report in place). The entry point now gives the loop that
 * turn (deliverPendingSignals), and the answer says what was written. Here a process does what
 * the entry point does around a command: it is signalled during synchronous work, after an
 * output was put in place (or none), then ends as the entry point does.
 */
function lateSignal(o: { wrote: boolean; deliver: boolean }): { status: number | null; stderr: string } {
  const script = [
    "import { deliverPendingSignals, installSignalHandlers, noteWritten } from './src/util/signals.mjs';",
    'installSignalHandlers();',
    o.wrote ? "noteWritten('/tmp/report/');" : '',
    "process.kill(process.pid, 'SIGTERM');",
    'const t = Date.now(); while (Date.now() - t < 30) {}', // the signal lands during synchronous work
    o.deliver ? 'await deliverPendingSignals();' : '',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('a signal during the last synchronous work of a command', () => {
  it('is answered: exit 143, and stderr names the output it had written, complete', () => {
    const r = lateSignal({ wrote: true, deliver: true });
    expect(r.status).toBe(143);
    expect(r.stderr.trim()).toBe('fleetsim: terminated (SIGTERM); after writing /tmp/report/ (complete)');
  });

  it('says "nothing written" only when nothing was', () => {
    const r = lateSignal({ wrote: false, deliver: true });
    expect(r.status).toBe(143);
    expect(r.stderr.trim()).toBe('fleetsim: terminated (SIGTERM); nothing written');
  });

  it('without the extra turn of the loop the signal goes unanswered (the behaviour fixed)', () => {
    const r = lateSignal({ wrote: true, deliver: false });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
