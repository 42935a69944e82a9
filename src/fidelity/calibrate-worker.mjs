// Worker-thread entry of `fleetsim calibrate` (cli-calibrate.ts): loads TypeScript through
// tsx (no build step), runs the fit and posts it back, or posts the error (a UserError's message
// is printed as the command's one line).
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
if (parentPort === null) throw new Error('calibrate-worker.mjs runs on a worker thread only');
const port = parentPort;
const { runCalibrateJob } = await import('./cli-calibrate.ts');
try {
  port.postMessage({ job: runCalibrateJob(workerData) });
} catch (e) {
  port.postMessage({ error: e instanceof Error ? e.message : String(e), user: e instanceof Error && e.name === 'UserError' });
}
