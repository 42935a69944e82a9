import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hugePageTunables, probeHugePages, removeLeftovers, type HugePageEnv } from '../../src/cli/huge-pages.mjs';
import { REPO, waitForStdout } from '../helpers/cli.ts';

const linuxMadvise: HugePageEnv = {
  platform: 'linux',
  env: {},
  thpMode: 'always [madvise] never\n',
  glibc: '2.36',
};

describe('when the CLI relaunches itself for huge pages', () => {
  it('only on Linux with glibc and THP in madvise mode, unless told not to or already asked for', () => {
    expect(hugePageTunables(linuxMadvise)).toBe('glibc.malloc.hugetlb=1');
    // other tunables are kept
    expect(hugePageTunables({ ...linuxMadvise, env: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' } })).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1');
    for (const h of [
      { ...linuxMadvise, env: { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' } }, // the user's choice stands
      { ...linuxMadvise, env: { FLEETSIM_HUGE_PAGES: '0' } },
      { ...linuxMadvise, env: { FLEETSIM_RELAUNCHED: '1' } }, // never twice
      { ...linuxMadvise, thpMode: '[always] madvise never\n' }, // already on for everything
      { ...linuxMadvise, thpMode: 'always madvise [never]\n' },
      { ...linuxMadvise, thpMode: null },
      { ...linuxMadvise, glibc: undefined }, // musl: the tunable means nothing
      { ...linuxMadvise, platform: 'darwin' as const },
    ]) {
      expect(hugePageTunables(h), JSON.stringify(h)).toBeNull();
    }
  });
});

/** Runs the probe helper with env overrides; resolves to its exit code and the JSON it printed. */
function probe(env: NodeJS.ProcessEnv, code: number): Promise<{ code: number; out: { tunables: string | null; relaunched: boolean; anonHugeKiB: number } }> {
  return new Promise((resolve, reject) => {
    const base = { ...process.env };
    delete base.GLIBC_TUNABLES;
    delete base.FLEETSIM_HUGE_PAGES;
    delete base.FLEETSIM_RELAUNCHED;
    execFile(process.execPath, ['test/helpers/huge-pages-probe.mjs', String(code)], { cwd: REPO, env: { ...base, ...env } }, (err, stdout, stderr) => {
      const c = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      try {
        resolve({ code: c, out: JSON.parse(stdout) });
      } catch {
        reject(new Error(`probe printed no JSON (exit ${c}): ${stdout} ${stderr}`));
      }
    });
  });
}

describe('a child the launcher had to kill', () => {
  it('leaves nothing beside its outputs: its temporary report goes, an earlier report it had moved aside comes back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-leftovers-'));
    try {
      // a double Ctrl-C while the child (pid 4242) built its report: killed before its exit handlers ran
      mkdirSync(join(dir, '.tmp-rep-4242'));
      writeFileSync(join(dir, '.tmp-rep-4242', 'summary.json'), '{}');
      mkdirSync(join(dir, '.old-rep-4242')); // the earlier report, moved aside before the rename
      writeFileSync(join(dir, '.old-rep-4242', 'summary.json'), 'earlier');
      writeFileSync(join(dir, '.tmp-j.xml-4242'), '<x/>');
      mkdirSync(join(dir, '.tmp-rep-999')); // another process's: not ours to remove
      removeLeftovers(['run', 's.yaml', '--out', join(dir, 'rep'), `--junit=${join(dir, 'j.xml')}`], 4242);
      expect(readdirSync(dir).sort()).toEqual(['.tmp-rep-999', 'rep']);
      expect(readFileSync(join(dir, 'rep', 'summary.json'), 'utf8')).toBe('earlier');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('huge pages on this machine', () => {
  const applies = hugePageTunables({ ...probeHugePages(), env: {} }) !== null;

  it('the relaunched process has the tunable, the kernel backs large arrays with 2 MiB pages, and the exit status passes through', async () => {
    const { code, out } = await probe({}, 3);
    expect(code).toBe(3);
    if (applies) {
      expect(out.relaunched).toBe(true);
      expect(out.tunables).toBe('glibc.malloc.hugetlb=1');
      // most of the 256 MiB array sits in huge pages
      expect(out.anonHugeKiB).toBeGreaterThan(128 * 1024);
    } else {
      expect(out.relaunched).toBe(false);
      expect(out.tunables).toBeNull();
    }
  });

  it('FLEETSIM_HUGE_PAGES=0 runs in the first process, with 4 KiB pages', async () => {
    const { code, out } = await probe({ FLEETSIM_HUGE_PAGES: '0' }, 0);
    expect(code).toBe(0);
    expect(out.relaunched).toBe(false);
    expect(out.tunables).toBeNull();
    if (applies) expect(out.anonHugeKiB).toBeLessThan(16 * 1024);
  });
});

/** Pids whose parent is pid, and each one's state letter (R running, S sleeping, T stopped), from /proc. */
function childrenOf(pid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid) out.push({ pid: Number(d), state });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** The state letter of pid from /proc. */
function stateOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

describe('a relaunched run whose parent is killed', () => {
  const tmps: string[] = [];
  afterAll(() => {
    for (const t of tmps) rmSync(t, { recursive: true, force: true });
  });

  // This test used to expect the child to stop as on SIGTERM and write a partial report after its
  // launcher was SIGKILLed. But by then the command has exited (its shell, CI step or container
  // has moved on), and a report appearing later, or a second run's output replaced by it, is
  // worse than none: nothing is written after the command exited. The child now exits at once,
  // writing nothing and leaving no temporary directory.
  it('exits without writing anything, and leaves no temporary directory', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'fleetsim-sigkill-'));
    tmps.push(tmp);
    const out = join(tmp, 'report');
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    delete env.FLEETSIM_HUGE_PAGES;
    const parent = spawn(process.execPath, ['src/cli/fleetsim.mjs', 'run', 'scenarios/mmc-example.yaml', '--set', 'duration_s=2e8', '--set', 'warmup_s=100', '--out', out], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    parent.stderr.on('data', (d) => (stderr += String(d)));
    // The capacity check is printed just before the simulation starts (after --out was opened).
    await waitForStdout(parent, 'capacity check', () => stderr);
    const kids = childrenOf(parent.pid!).map((k) => k.pid);
    const relaunched = hugePageTunables({ ...probeHugePages(), env: {} }) !== null;
    expect(kids).toHaveLength(relaunched ? 1 : 0);
    // While it runs, the output is being prepared beside --out.
    expect(readdirSync(tmp).filter((e) => e.startsWith('.tmp-report-'))).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    parent.kill('SIGKILL');
    const killedAt = Date.now();
    // The child goes within its orphan check (0.1 s), well under 2 s even on a loaded machine.
    const gone = (pid: number) => !existsSync(`/proc/${pid}`) || stateOf(pid) === 'Z';
    while (!kids.every(gone) && Date.now() - killedAt < 5000) await new Promise((r) => setTimeout(r, 50));
    expect(kids.filter((k) => !gone(k)), 'the relaunched child outlived its launcher').toEqual([]);
    expect(Date.now() - killedAt).toBeLessThan(2000);
    // Give a survivor the time it would need to write, then look: nothing, not even a temporary.
    await new Promise((r) => setTimeout(r, 1000));
    expect(readdirSync(tmp)).toEqual([]);
    expect(stderr).not.toContain('stopped by');
  });

  it('Ctrl-Z (SIGTSTP) stops both processes, fg (SIGCONT) resumes both, and Ctrl-C still ends the run with 130', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'fleetsim-sigtstp-'));
    tmps.push(tmp);
    const env = { ...process.env };
    delete env.GLIBC_TUNABLES;
    delete env.FLEETSIM_HUGE_PAGES;
    const parent = spawn(process.execPath, ['src/cli/fleetsim.mjs', 'run', 'scenarios/mmc-example.yaml', '--set', 'duration_s=3000000', '--set', 'warmup_s=100', '--out', join(tmp, 'report')], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    parent.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => parent.on('exit', (code) => resolve(code)));
    await waitForStdout(parent, 'capacity check', () => stderr);
    const kids = childrenOf(parent.pid!);
    if (hugePageTunables({ ...probeHugePages(), env: {} }) === null) {
      expect(kids).toEqual([]); // one process: the kernel's own Ctrl-Z handling applies
    } else {
      expect(kids).toHaveLength(1);
      const child = kids[0].pid;
      const settle = async (want: string) => {
        for (let i = 0; i < 50 && !(stateOf(parent.pid!) === want && stateOf(child) === want); i++) await new Promise((r) => setTimeout(r, 100));
      };
      parent.kill('SIGTSTP');
      await settle('T');
      expect([stateOf(parent.pid!), stateOf(child)]).toEqual(['T', 'T']);
      parent.kill('SIGCONT');
      for (let i = 0; i < 50 && stateOf(child) === 'T'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(stateOf(parent.pid!)).not.toBe('T');
      expect(stateOf(child)).not.toBe('T');
    }
    parent.kill('SIGINT');
    expect(await exited, `stderr: ${stderr}`).toBe(130);
    expect(stderr).toContain('stopped by Ctrl-C after ');
  });
});
