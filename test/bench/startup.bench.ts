// Start-up benchmark: wall time of short CLI commands, each a fresh process as a user runs it.
// `fleetsim --help` and `--version` are answered from the command table without tsx; every other
// command loads the CLI's cached bundle (src/cli/bundle-cache.mjs; tsx with FLEETSIM_BUNDLE=0) and
// then only its own module. Measured beside the floor (a bare Node start-up)
// and the cost of loading tsx, round-robin so that a slow phase of the machine hits every command
// alike. Prints median, min and max per command; for `validate`, also the time to its first line.
// Run: npm run bench:startup   (node --import tsx test/bench/startup.bench.ts [--rounds N] [--cli PATH])
// `--cli` times another checkout's src/cli/fleetsim.mjs (an older version, for a before/after).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : 11;
/** The target of fleetsim 0.2.0 for `fleetsim --help`, median wall time. */
const HELP_TARGET_S = 0.3;

const cliAt = process.argv.indexOf('--cli');
const FLEETSIM = [cliAt > 0 ? process.argv[cliAt + 1] : 'src/cli/fleetsim.mjs'];
const CASES: { label: string; args: string[] }[] = [
  { label: 'node -e 0 (floor)', args: ['-e', '0'] },
  { label: 'node --import tsx -e 0 (tsx alone)', args: ['--import', 'tsx', '-e', '0'] },
  { label: 'fleetsim --help', args: [...FLEETSIM, '--help'] },
  { label: 'fleetsim --version', args: [...FLEETSIM, '--version'] },
  { label: 'fleetsim run --help', args: [...FLEETSIM, 'run', '--help'] },
  { label: 'fleetsim validate scenarios/openai-2024.yaml', args: [...FLEETSIM, 'validate', 'scenarios/openai-2024.yaml'] },
];

interface Timing {
  total_s: number;
  first_output_s: number;
}

function timeOnce(args: string[]): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let first_output_s = Number.NaN;
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    child.stdout.once('data', () => (first_output_s = seconds()));
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ total_s: seconds(), first_output_s }) : reject(new Error(`node ${args.join(' ')} exited ${code}`))));
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (s: number) => s.toFixed(3);

async function main(): Promise<void> {
  const timings = CASES.map(() => [] as Timing[]);
  await timeOnce(CASES[CASES.length - 1].args); // warms tsx's compile cache and the file cache
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, c] of CASES.entries()) timings[i].push(await timeOnce(c.args));
  }
  console.log(`start-up of ${FLEETSIM[0]}, ${ROUNDS} rounds, Node ${process.version}; wall seconds: median [min, max]`);
  for (const [i, c] of CASES.entries()) {
    const total = timings[i].map((t) => t.total_s);
    let line = `${c.label.padEnd(46)} ${fmt(median(total))} [${fmt(Math.min(...total))}, ${fmt(Math.max(...total))}]`;
    if (c.args.includes('validate')) line += `; first line after ${fmt(median(timings[i].map((t) => t.first_output_s)))}`;
    console.log(line);
  }
  const help = median(timings[CASES.findIndex((c) => c.label === 'fleetsim --help')].map((t) => t.total_s));
  console.log(`fleetsim --help: median ${fmt(help)} s, target < ${HELP_TARGET_S} s: ${help < HELP_TARGET_S ? 'met' : 'not met'}`);
}

await main();
