import { planSweep } from './src/experiment/sweep.ts';
const a = '['.repeat(3000) + '1' + ']'.repeat(3000);
try { planSweep({ file: 'scenarios/mmc-example.yaml', vary: [`topology.stations.api.servers=${a},==`] }); } catch (e) { console.log(JSON.stringify((e as Error).message)); }
