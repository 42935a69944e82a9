/**
 * A 32-bit hash of an integer key under a seed (murmur3's finaliser): ring positions and prefix
 * homes. Each use passes its own seed, so they are independent of each other and of the A/B split
 * by user (fleet/llm/pipeline.ts).
 */
export function mix32(key: number, seed: number): number {
  let h = (key ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
