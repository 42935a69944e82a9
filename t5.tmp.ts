import { withRunner } from './src/experiment/parallel.ts';
import { planSweep, runSweep } from './src/experiment/sweep.ts';
const sw = planSweep({ file: 'scenarios/openai-2024.yaml', sets: ['duration_s=300'], vary: ['fleet.models.gpt-4.gpus=20000..35000:5000'], replications: 4 });
const t0 = performance.now();
await withRunner(1, (r) => runSweep(sw, r));
console.log(process.execArgv.join(' '), ((performance.now() - t0) / 1000).toFixed(1));
