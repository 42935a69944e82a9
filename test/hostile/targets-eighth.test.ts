import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { table } from '../../src/report/table.ts';

/**
 * The eighth hostile-input campaign of 2026-12-07 (about 140 attempts on the day's changes): the
 * failures of single-file outputs, normal distributions, TensorRT-LLM's fusion flag and tables
 * mended that day, each failing on the code before. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-targets-');
const SPLITWISE = readFileSync('scenarios/data/splitwise/llama2-70b-a100.csv', 'utf8').split('\n').filter((l) => l !== '');
const CORPUS_HEADER = 'id,split,kind,value,unit,stack,gpu,model,dtype,tp,batch,prompt_tokens,output_tokens';
/** A corpus whose every row is faster than the roofline: a fit that runs refuses it, so a refusal of the target shows it came first. */
const IMPOSSIBLE = ['f1,calibration,decode,0.0001,ms,vllm,h100-80gb,llama-3.1-70b,bf16,8,1024,128,256'];

/** A named pipe, a symbolic link to a profile and a directory, in a fresh directory. */
function specialTargets(name: string): { dir: string; fifo: string; link: string; profile: string; subdir: string } {
  const dir = join(tmp.dir(), name);
  mkdirSync(dir);
  const fifo = join(dir, 'pipe.json');
  execFileSync('mkfifo', [fifo]);
  const profile = join(dir, 'profile.json');
  writeFileSync(profile, '{"kept": true}\n');
  const link = join(dir, 'link.json');
  symlinkSync('profile.json', link);
  const subdir = join(dir, 'subdir');
  mkdirSync(subdir);
  return { dir, fifo, link, profile, subdir };
}

/** The special targets are what they were: the pipe a pipe, the link a link to the untouched profile. */
function expectUntouched(t: ReturnType<typeof specialTargets>): void {
  expect(lstatSync(t.fifo).isFIFO()).toBe(true);
  expect(lstatSync(t.link).isSymbolicLink()).toBe(true);
  expect(readlinkSync(t.link)).toBe('profile.json');
  expect(readFileSync(t.profile, 'utf8')).toBe('{"kept": true}\n');
  expect(lstatSync(t.subdir).isDirectory()).toBe(true);
}

describe('single-file outputs refuse what is not a regular file', () => {
  it('calibrate --out on a named pipe, a symbolic link or a directory is refused, each left as it was (the pipe and the link were replaced by a file)', async () => {
    const t = specialTargets('calibrate');
    const measurements = tmp.write('m.csv', SPLITWISE.slice(0, 20).join('\n') + '\n');
    const cases: [string, string][] = [[t.fifo, 'a named pipe'], [t.link, 'a symbolic link'], [t.subdir, 'a directory']];
    for (const [out, kind] of cases) {
      const r = await runMain(['calibrate', '--measurements', measurements, '--fit', 'step_overhead_ms', '--out', out]);
      expectRefusedInOneLine(r, new RegExp(`^--out .*/calibrate/\\w+(\\.json)?: ${kind}; expected a regular file or a new path$`), show(r));
    }
    expectUntouched(t);
    expect(readdirSync(t.dir).sort()).toEqual(['link.json', 'pipe.json', 'profile.json', 'subdir']);
  });

  it('check --junit on a named pipe or a symbolic link is refused before the run, each left as it was', async () => {
    const t = specialTargets('junit');
    const budgets = tmp.write('budgets.yaml', '- latency_ms.e2e.p99 <= 100000\n');
    for (const [junit, kind] of [[t.fifo, 'a named pipe'], [t.link, 'a symbolic link']]) {
      const r = await runMain(['check', 'scenarios/mmc-example.yaml', '--set', 'duration_s=200', '--set', 'warmup_s=20', '--quiet', '--budgets', budgets, '--junit', junit]);
      expectRefusedInOneLine(r, new RegExp(`^--junit .*/junit/\\w+\\.json: ${kind}; expected a regular file or a new path$`), show(r));
      expect(r.stdout).toBe(''); // nothing simulated
    }
    expectUntouched(t);
    // a regular file, an earlier JUnit report, is replaced (another is refused: outputs-ninth.test.ts),
    // and the probe of the directory leaves nothing behind
    writeFileSync(t.profile, '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="fleetsim check" tests="0">\n</testsuites>\n');
    const ok = await runMain(['check', 'scenarios/mmc-example.yaml', '--set', 'duration_s=200', '--set', 'warmup_s=20', '--quiet', '--budgets', budgets, '--junit', t.profile]);
    expect(ok.code, show(ok)).toBe(0);
    expect(readFileSync(t.profile, 'utf8')).toMatch(/^<\?xml/);
    expect(readdirSync(t.dir).sort()).toEqual(['link.json', 'pipe.json', 'profile.json', 'subdir']);
  });

  it('calibrate --out in a directory this process cannot write into is refused before the fit (access() said yes for root: refused after the whole fit)', async () => {
    const corpus = tmp.write('impossible.csv', [CORPUS_HEADER, ...IMPOSSIBLE].join('\n') + '\n');
    const locked = join(tmp.dir(), 'locked');
    mkdirSync(locked);
    // access() answers for the real user, the write is the effective user's: as root, the command
    // runs as nobody (the real user staying root), as on a pseudo file system such as /sys that
    // refuses root new files while access() says yes. Otherwise the directory is made read-only.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chmodSync(tmp.dir(), 0o755); // nobody reads the corpus and looks into locked
    else chmodSync(locked, 0o555);
    try {
      for (const out of [join(locked, 'p.json'), join(locked, 'new', 'p.json')]) {
        if (asRoot) process.seteuid!(65534);
        let r;
        try {
          r = await runMain(['calibrate', '--corpus', corpus, '--stack', 'vllm', '--out', out]);
        } finally {
          if (asRoot) process.seteuid!(0);
        }
        expectRefusedInOneLine(r, /^--out .*\/locked\/(new\/)?p\.json: cannot write into .*\/locked \(EACCES\)$/, show(r));
      }
    } finally {
      chmodSync(asRoot ? tmp.dir() : locked, 0o700);
    }
    expect(readdirSync(locked)).toEqual([]);
  });
});

describe('normal distributions', () => {
  it('a negative mean is refused, naming the file, line and field (a service time of mean -1 ms read as a capacity of -4,000/s)', async () => {
    const service = await runMain(['validate', 'scenarios/quickstart.yaml', '--set', 'topology.stations.db.service_ms={dist: normal, mean: -1, sd: 1}']);
    expectRefusedInOneLine(service, /^scenarios\/quickstart\.yaml: topology\.stations\.db\.service_ms\.mean: expected a mean >= 0 \(a time or a count\), got -1$/, show(service));
    const prompt = await runMain(['validate', 'scenarios/kv-offload.yaml', '--set', 'fleet.models.chat.tokens.prompt={dist: normal, mean: -100, sd: 10}']);
    expectRefusedInOneLine(prompt, /^scenarios\/kv-offload\.yaml:\d+:\d+: fleet\.models\.chat\.tokens\.prompt\.mean: expected a mean >= 0 \(a time or a count\), got -100$/, show(prompt));
  });

  it('an sd of exactly 100 x mean is taken (100 x 0.29 rounds below 29: refused), and one above refused', async () => {
    const at = (sd: number) => runMain(['validate', 'scenarios/quickstart.yaml', '--set', `topology.stations.db.service_ms={dist: normal, mean: 0.29, sd: ${sd}}`]);
    const bound = await at(29);
    expect(bound.code, show(bound)).toBe(0);
    const above = await at(29.0001);
    expectRefusedInOneLine(above, /^scenarios\/quickstart\.yaml: topology\.stations\.db\.service_ms\.sd: expected at most 100 x mean \(0\.29\)/, show(above));
  });
});

describe("TensorRT-LLM's fusion of the GEMM with its all-reduce", () => {
  it('allreduce_fused_with_gemm: false is taken on a vLLM engine (it says what vLLM does; only true was meant to be refused)', async () => {
    const off = await runMain(['validate', 'scenarios/kv-offload.yaml', '--set', 'fleet.models.chat.allreduce_fused_with_gemm=false']);
    expect(off.code, show(off)).toBe(0);
    const on = await runMain(['validate', 'scenarios/kv-offload.yaml', '--set', 'fleet.models.chat.allreduce_fused_with_gemm=true']);
    expectRefusedInOneLine(on, /fleet\.models\.chat\.allreduce_fused_with_gemm: expected only with a TensorRT-LLM engine/, show(on));
  });
});

describe('tables', () => {
  it('escape invisible and bidirectional format characters, so two names cannot look identical and columns stay aligned', () => {
    const hidden = ['\u200b', '\u200c', '\u200d', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069', '\u061c', '\u00ad', '\ufeff', '\u2028', '\u2029'];
    for (const c of hidden) {
      const text = table(['name', 'n'], [[`ab${c}`, 1], ['ab', 2]]);
      const code = `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      expect(text.includes(c), code).toBe(false);
      expect(text, code).toContain(`ab${code}`);
      // every row as wide as the others
      const widths = new Set(text.split('\n').map((l) => l.length));
      expect(widths.size, code).toBe(1);
    }
  });
});
