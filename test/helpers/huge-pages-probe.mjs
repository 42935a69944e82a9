// Test helper: goes through the CLI's huge-page relaunch, then reports what the process it ends up
// in got: its GLIBC_TUNABLES, and how much of a 256 MiB typed array the kernel backs with huge
// pages. Exits with the code given as its argument (to check the status is passed through).
import { hugePagesKiB, withHugePages } from '../../src/cli/huge-pages.mjs';

await withHugePages();
const a = new Float64Array(32 * 2 ** 20);
for (let i = 0; i < a.length; i += 512) a[i] = i; // touch every 4 KiB page
const anonHugeKiB = hugePagesKiB() ?? -1;
process.stdout.write(JSON.stringify({ tunables: process.env.GLIBC_TUNABLES ?? null, relaunched: process.env.FLEETSIM_RELAUNCHED === '1', anonHugeKiB, touched: a[512] }) + '\n');
process.exitCode = Number(process.argv[2] ?? 0);
