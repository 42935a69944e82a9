import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';

/**
 * Commands whose work is not a simulation sliced for signals: `calibrate --serving` simulates each
 * serving row for every candidate profile, synchronously, for tens of seconds, and Ctrl-C waited
 * for all of it (11.6 s measured on 2026-12-04). Its fit now runs on a worker thread, so the
 * command's own thread handles the signal at once (0.2 s measured the same day).
 */
const tmp = mkdtempSync(join(tmpdir(), 'fleetsim-signals-long-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Ctrl-C during a long synchronous command', () => {
  it('calibrate --serving stops within seconds, exit 130, writing nothing', async () => {
    const out = join(tmp, 'profile.json');
    const child = spawn(process.execPath, ['src/cli/fleetsim.mjs', 'calibrate', '--corpus', '--stack', 'vllm', '--serving', '--out', out], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    let exitedEarly = false;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    void exited.then(() => (exitedEarly = true));
    // start-up (tsx) takes about a second; the fit takes 15-30 s: the signal lands inside it
    await new Promise((r) => setTimeout(r, 4000));
    expect(exitedEarly, stderr).toBe(false);
    const t0 = performance.now();
    child.kill('SIGINT');
    const code = await exited;
    // 2 s is the target on an idle machine; the bound leaves room for the rest of the suite beside it
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('interrupted (Ctrl-C); nothing written');
    expect(existsSync(out)).toBe(false);
  });
});

/**
 * Runs shorter than a slice of wall time (a tiny scenario's replications, sweep points) end
 * without a turn of the event loop; with --jobs 1 they ran back to back in the main thread and a
 * signal waited for all of them: SIGTERM unanswered for over ten minutes (2026-12-07). The slice
 * now counts across runs.
 */
describe('SIGTERM between many short runs on one thread (--jobs 1)', () => {
  const TINY = ['scenarios/quickstart.yaml', '--set', 'duration_s=1', '--set', 'warmup_s=0', '--quiet', '--jobs', '1'];

  /**
   * Sends SIGTERM `wait_ms` after the command opened its output (`.tmp-<name>-<pid>` beside it,
   * made just before it simulates): a signal during start-up, which takes seconds on a loaded
   * machine, is answered at once with "nothing written" and tests nothing here.
   */
  async function stopAfter(args: string[], name: string, wait_ms: number): Promise<{ code: number | null; stderr: string; stop_ms: number }> {
    const child = spawn(process.execPath, ['src/cli/fleetsim.mjs', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    let ended = false;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => ((ended = true), resolve(code))));
    while (!ended && !readdirSync(tmp).some((e) => e.startsWith(`.tmp-${name}-`))) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, wait_ms));
    const t0 = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    return { code, stderr, stop_ms: performance.now() - t0 };
  }

  it('run --replications stops within seconds, exit 143, and reports the replications that ran', async () => {
    const out = join(tmp, 'replications');
    const r = await stopAfter(['run', ...TINY, '--replications', '1000000000', '--out', out], 'replications', 1500);
    expect(r.stop_ms, r.stderr).toBeLessThan(5000);
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/stopped by SIGTERM after replication \d+ of 1000000000, before the next began/);
    const summary = JSON.parse(readFileSync(join(`${out}.partial`, 'summary.json'), 'utf8')) as { complete: boolean; replications: number; engine: { stop_reason: string } };
    expect(summary.complete).toBe(false);
    expect(summary.engine.stop_reason).toBe('stopped');
    expect(summary.replications).toBeGreaterThan(1);
    expect(existsSync(out)).toBe(false);
  });

  it('sweep stops within seconds, exit 143, writing nothing', async () => {
    const out = join(tmp, 'sweep');
    const r = await stopAfter(['sweep', ...TINY, '--vary', 'topology.stations.api.servers=1..90000:1', '--out', out], 'sweep', 1500);
    expect(r.stop_ms, r.stderr).toBeLessThan(5000);
    expect(r.code, r.stderr).toBe(143);
    expect(r.stderr).toContain('terminated (SIGTERM); nothing written');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
  });
});
