// Worker-thread entry for piscina: load TypeScript through tsx (no build step), then hand the
// task function to piscina. See parallel.ts.
import { register } from 'tsx/esm/api';

register();
const mod = await import('./parallel-worker.ts');
export default mod.default;
