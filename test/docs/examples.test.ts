import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';

/**
 * The documentation's examples, run as written. Every fenced `sh`/`bash` block of README.md, and
 * each block of docs/ marked `<!-- example-test -->`, is split into commands; each command that
 * starts with `fleetsim`, `npx fleetsim` or `node src/cli/fleetsim.mjs` runs verbatim in bash,
 * from a directory that looks like a checkout (links to the repository's sources, scenarios and
 * node_modules, `fleetsim` on PATH as an installed package puts it), and must exit 0. A block
 * marked `<!-- example-test: exit N until ... -->` must exit N: when the reason is gone the test
 * fails, and the mark goes. The CI workflow in docs/ci/ runs as GitHub would run it.
 */

const FENCE = /(<!--\s*example-test(?::\s*exit\s+(\d+)[^>]*)?\s*-->\s*\n)?```(sh|bash)\n([\s\S]*?)```/g;
const COMMAND = /^(fleetsim|npx fleetsim|node src\/cli\/fleetsim\.mjs)\s/;

interface Example {
  page: string;
  command: string;
  expected_exit: number;
}

/** The commands of a page's shell blocks (continuation lines joined, comments dropped). */
function examples(page: string, onlyMarked: boolean): Example[] {
  const text = readFileSync(join(REPO, page), 'utf8');
  const found: Example[] = [];
  for (const m of text.matchAll(FENCE)) {
    if (onlyMarked && m[1] === undefined) continue;
    const lines = m[4].replace(/\\\n\s*/g, ' ').split('\n');
    for (const line of lines.map((l) => l.trim())) {
      if (COMMAND.test(line)) found.push({ page, command: line, expected_exit: m[2] === undefined ? 0 : Number(m[2]) });
    }
  }
  return found;
}

const DOC_PAGES = readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`);
const EXAMPLES = [...examples('README.md', false), ...DOC_PAGES.flatMap((p) => examples(p, true))];

let checkout: string;

/** A directory that looks like a checkout, whose outputs (reports/...) land in a temporary place. */
function makeCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-examples-'));
  for (const entry of ['package.json', 'node_modules', 'src', 'scenarios', 'data', 'deploy']) {
    if (existsSync(join(REPO, entry))) symlinkSync(join(REPO, entry), join(dir, entry));
  }
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'fleetsim'), `#!/bin/sh\nexec "${process.execPath}" "${join(REPO, 'src/cli/fleetsim.mjs')}" "$@"\n`, { mode: 0o755 });
  return dir;
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a script as GitHub Actions runs `shell: bash` (and as a careful reader would). */
function bash(script: string, env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((done) => {
    execFile(
      '/bin/bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
      { cwd: checkout, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PATH: `${join(checkout, 'bin')}:${process.env.PATH}`, NO_COLOR: '1', FORCE_COLOR: '0', ...env } },
      (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
  });
}

const ran = new Map<string, Ran>();

beforeAll(async () => {
  checkout = makeCheckout();
  // One at a time: each command may use every core.
  for (const e of EXAMPLES) ran.set(e.command, await bash(e.command));
}, 900_000);

afterAll(() => {
  if (checkout) rmSync(checkout, { recursive: true, force: true });
});

describe('documentation examples', () => {
  it('the README has examples, and each page marked for the test has one', () => {
    expect(examples('README.md', false).length).toBeGreaterThanOrEqual(4);
  });

  it.each(EXAMPLES.map((e) => [`${e.page}: ${e.command}`, e] as const))('%s', (_label, e) => {
    const r = ran.get(e.command)!;
    expect(r.code, `${e.command}\nstdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`).toBe(e.expected_exit);
  });

  it('the README shows the quickstart scenario as it is, and the output it really gives', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const shownFile = /<!-- file: (\S+) -->\n```yaml\n([\s\S]*?)```/.exec(readme);
    expect(shownFile).not.toBeNull();
    expect(shownFile![2]).toBe(readFileSync(join(REPO, shownFile![1]), 'utf8'));
    const shownOutput = /<!-- output of: (.+?) -->\n```text\n([\s\S]*?)```/.exec(readme);
    expect(shownOutput).not.toBeNull();
    const actual = ran.get(shownOutput![1]);
    expect(actual, `the command "${shownOutput![1]}" is not among the README's examples`).toBeDefined();
    // The engine line carries wall-clock figures (seconds, events per second): the rest is exact.
    const wallClockFree = (text: string) => text.replace(/^(engine: [\d,]+ events) in .*$/m, '$1');
    expect(wallClockFree(shownOutput![2]), 'README.md: paste the real output of the command').toBe(wallClockFree(actual!.stdout));
  });
});

describe('links and paths in the documentation', () => {
  const pages = ['README.md', ...DOC_PAGES];
  it('every relative link leads to a file or folder inside the repository', () => {
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(REPO, page), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1])) continue; // a web address
        const target = resolve(REPO, dirname(page), m[1]);
        if (!target.startsWith(REPO) || !existsSync(target)) broken.push(`${page}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('no page cites a file outside the repository', () => {
    // docs/architecture.md is left out: it names a layering tool kept outside the repository.
    for (const page of ['README.md', ...DOC_PAGES.filter((p) => p !== 'docs/architecture.md'), 'scenarios/openai-2024.yaml']) {
      expect(readFileSync(join(REPO, page), 'utf8'), page).not.toMatch(/\.\.\/shared\/|openai-architecture\.md/);
    }
  });
});

describe('the CI example (docs/ci/fleetsim-gate.yml)', () => {
  it('is a workflow whose fleetsim step runs the latency gate to a verdict', async () => {
    const workflow = parse(readFileSync(join(REPO, 'docs/ci/fleetsim-gate.yml'), 'utf8')) as {
      on: unknown;
      jobs: Record<string, { 'runs-on': string; steps: { run?: string; shell?: string; uses?: string }[] }>;
    };
    expect(workflow.on).toEqual(['pull_request']);
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    const gate = steps.filter((s) => s.run?.includes('fleetsim'));
    expect(gate).toHaveLength(1);
    // Without `shell: bash` GitHub runs `bash -e` alone, and the tee would hide check's exit code.
    expect(gate[0].shell).toBe('bash');
    expect(steps.some((s) => s.run === 'npm ci')).toBe(true);
    const summary = join(checkout, 'step-summary.md');
    const r = await bash(gate[0].run!, { GITHUB_STEP_SUMMARY: summary });
    // 0 every budget passes, 1 one fails or is undecided: a verdict either way; 2 would be bad input.
    expect([0, 1], `stdout: ${r.stdout.slice(0, 2000)}\nstderr: ${r.stderr.slice(0, 2000)}`).toContain(r.code);
    expect(readFileSync(summary, 'utf8')).toMatch(/\| (pass|\*\*FAIL\*\*|\*\*inconclusive\*\*) \|/);
    expect(readFileSync(join(checkout, 'reports/budgets.xml'), 'utf8')).toMatch(/<testsuites?[\s>][\s\S]*<testcase /);
    expect(existsSync(join(checkout, 'reports/check/summary.json'))).toBe(true);
  }, 600_000);
});
