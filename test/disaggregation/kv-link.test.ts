import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { KvLink } from '../../src/fleet/llm/kv-link.ts';

/** A link whose arrivals are recorded by transfer id. */
function linkUnderTest(bandwidth_gbps: number, latency_ms: number) {
  const sim = new Simulator();
  const arrived = new Map<number, number>();
  const link = new KvLink(sim, bandwidth_gbps, latency_ms, sim.on((id) => arrived.set(id, sim.now_ms)));
  return { sim, link, arrived };
}

describe('KV link: a FIFO server of fixed bandwidth', () => {
  it('on an idle link a transfer takes bytes / bandwidth + latency', () => {
    const { sim, link, arrived } = linkUnderTest(400, 0.5);
    const bytes = 419_430_400; // 512 tokens of Llama-2-13B's fp16 KV (819,200 bytes each)
    sim.at(3, sim.on(() => link.send(7, bytes)));
    sim.run();
    // 400 Gbit/s = 50 GB/s = 5e7 bytes per ms
    expect(arrived.get(7)! - 3).toBeCloseTo(bytes / 5e7 + 0.5, 12);
  });

  it('transfers queue behind each other; the latency does not hold the link', () => {
    const { sim, link, arrived } = linkUnderTest(8, 10); // 1e6 bytes per ms
    sim.at(0, sim.on(() => [0, 1, 2].forEach((id) => link.send(id, 2e6))));
    sim.run();
    expect([0, 1, 2].map((id) => arrived.get(id))).toEqual([12, 14, 16]);
  });

  it('Poisson arrivals of equal transfers wait as in M/D/1: Wq = rho D / (2 (1 - rho))', () => {
    const { sim, link, arrived } = linkUnderTest(8, 0); // D = 1 ms for 1e6 bytes
    const rho = 0.7, n = 200_000, rng = stream(3, 'kv-link-md1');
    const sentAt: number[] = [];
    let t = 0;
    const arrive = sim.on((id) => {
      sentAt[id] = sim.now_ms;
      link.send(id, 1e6);
      if (id + 1 < n) sim.at((t += -Math.log(1 - rng()) / rho), arrive, id + 1);
    });
    sim.at(0, arrive, 0);
    sim.run();
    let wait = 0;
    for (let id = 0; id < n; id++) wait += arrived.get(id)! - sentAt[id] - 1;
    const expected = (rho * 1) / (2 * (1 - rho)); // 1.1667 ms
    // 200,000 customers at rho 0.7: the sample mean is within a few percent (seed 3)
    expect(Math.abs(wait / n - expected) / expected).toBeLessThan(0.04);
    expect(link.busy_ms / sim.now_ms).toBeCloseTo(rho, 1);
  });

  it('a degraded link sends the next transfers at its new rate; a failed one drops what it holds and refuses new ones', () => {
    const { sim, link, arrived } = linkUnderTest(8, 0);
    const lost: number[] = [];
    sim.at(0, sim.on(() => [0, 1].forEach((id) => link.send(id, 1e6))));
    sim.at(0.5, sim.on(() => link.setCondition(0.5))); // transfer 0 keeps its rate, 1 goes at half
    sim.at(10, sim.on(() => [2, 3].forEach((id) => link.send(id, 1e6))));
    sim.at(10.5, sim.on(() => lost.push(...link.setCondition(0))));
    sim.run();
    expect(arrived.get(0)).toBe(1);
    expect(arrived.get(1)).toBe(3);
    expect(lost).toEqual([2, 3]);
    expect(arrived.has(2) || arrived.has(3)).toBe(false);
    expect(link.failed).toBe(true);
    expect(() => link.send(4, 1)).toThrow(/failed link/);
    link.setCondition(1);
    expect(link.failed).toBe(false);
  });
});
