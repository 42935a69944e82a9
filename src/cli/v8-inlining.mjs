// Plain JavaScript (type-checked through JSDoc), like huge-pages.mjs: the entry points call it
// before loading tsx.
import { setFlagsFromString } from 'node:v8';

/**
 * Bytecode TurboFan may inline into one optimised function, in all (V8's default is 920).
 *
 * A simulation's hot paths are chains of small calls: a tier's service end calls the pipeline,
 * which enters the next tier, which starts a service and schedules its end. With the default
 * budget the chain is cut after a few links, and every float passed to or returned from a call
 * left out becomes a heap number: the full fleet allocated ~150 MB per 10 simulated seconds that
 * way, and the young generation those allocations stream through is many times the caches. With
 * 3,000 it allocated ~70 MB (test/bench/README.md has the CPU time measured with and without).
 */
const INLINED_BYTECODE_CUMULATIVE = 3000;

/**
 * Widens V8's inlining budget for this process (and its worker threads): V8 reads the flag when it
 * optimises a function, so call it before the simulation's code gets hot. Results do not depend
 * on it (JavaScript's arithmetic is the same inlined or not). FLEETSIM_V8_INLINING=0 keeps V8's
 * default (for measuring the difference).
 */
export function widenInlining() {
  if (process.env.FLEETSIM_V8_INLINING === '0') return;
  setFlagsFromString(`--max-inlined-bytecode-size-cumulative=${INLINED_BYTECODE_CUMULATIVE}`);
}
