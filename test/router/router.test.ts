import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { stream } from '../../src/engine/random.ts';
import { GpuReplica } from '../../src/fleet/gpu/replica.ts';
import { POLICY_NAMES, makePolicy, type RouterPolicy, type RouterTarget } from '../../src/fleet/router/registry.ts';
import { BASE_CFG, Recorder, linearStep } from '../gpu/helpers.ts';

/** A plain target whose counters the test drives. */
class Box implements RouterTarget {
  outstanding = 0;
  kv = 0;
  healthy = true;
  kvUsedFraction(): number {
    return this.kv;
  }
}

function boxes(n: number): Box[] {
  return Array.from({ length: n }, () => new Box());
}

describe('router policies', () => {
  it('the registry knows the seven policies and refuses others', () => {
    expect([...POLICY_NAMES].sort()).toEqual(['consistent_hash', 'kv_aware', 'least_outstanding', 'power_of_two', 'prefix_affinity', 'random', 'round_robin']);
    for (const name of POLICY_NAMES) expect(makePolicy(name, boxes(3), stream(1, 'r')).name).toBe(name);
    expect(() => makePolicy('fastest', boxes(3), stream(1, 'r'))).toThrow(/unknown "fastest".*round_robin/);
  });

  it('round_robin splits evenly', () => {
    const t = boxes(7);
    const p = makePolicy('round_robin', t, stream(1, 'r'));
    const counts = new Array(7).fill(0);
    for (let k = 0; k < 7 * 1000; k++) counts[p.pick()]++;
    expect(counts).toEqual(new Array(7).fill(1000));
  });

  it('random splits evenly within sampling error', () => {
    const t = boxes(10);
    const p = makePolicy('random', t, stream(1, 'r'));
    const counts = new Array(10).fill(0);
    const N = 100_000;
    for (let k = 0; k < N; k++) counts[p.pick()]++;
    // binomial sd = sqrt(N p (1-p)) = 95; 5 sd
    for (const c of counts) expect(Math.abs(c - N / 10)).toBeLessThan(475);
  });

  it('least_outstanding always picks a minimum, through random changes (checked against a scan)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.array(fc.record({ i: fc.nat(), delta: fc.integer({ min: -3, max: 5 }), flip: fc.boolean() }), { maxLength: 300 }),
        (n, ops) => {
          const t = boxes(n);
          const p = makePolicy('least_outstanding', t, stream(1, 'r'));
          for (const op of ops) {
            const i = op.i % n;
            t[i].outstanding = Math.max(0, t[i].outstanding + op.delta);
            if (op.flip && op.delta === 5) t[i].healthy = !t[i].healthy;
            p.notify(i);
            const k = p.pick();
            const healthy = t.filter((b) => b.healthy);
            if (healthy.length === 0) {
              expect(k).toBe(-1);
              continue;
            }
            const min = Math.min(...healthy.map((b) => b.outstanding));
            expect(t[k].healthy).toBe(true);
            expect(t[k].outstanding).toBe(min);
            // ties go to the lowest index
            expect(k).toBe(t.findIndex((b) => b.healthy && b.outstanding === min));
          }
        },
      ),
      { numRuns: 100, seed: 42 },
    );
  });

  it('unhealthy targets are never picked, even without notify; -1 when none is healthy', () => {
    for (const name of POLICY_NAMES) {
      const t = boxes(6);
      const p = makePolicy(name, t, stream(3, name));
      t[1].healthy = false;
      t[4].healthy = false;
      p.notify(1); // told about one...
      // ...not about the other
      for (let k = 0; k < 500; k++) {
        const i = p.pick();
        expect(i === 1 || i === 4, `${name} picked unhealthy ${i}`).toBe(false);
        t[i].outstanding++;
        p.notify(i);
      }
      for (const b of t) b.healthy = false;
      expect(p.pick(), name).toBe(-1);
      t[5].healthy = true;
      p.notify(5);
      expect(p.pick(), name).toBe(5);
    }
  });

  it('power_of_two beats random on the maximum queue (balls into bins)', () => {
    // n balls into n bins: random gives a max load of about ln n / ln ln n, two choices ln ln n / ln 2
    const n = 1000;
    const maxLoad = (name: string) => {
      const t = boxes(n);
      const p = makePolicy(name, t, stream(5, name));
      for (let k = 0; k < n; k++) {
        const i = p.pick();
        t[i].outstanding++;
        p.notify(i);
      }
      return Math.max(...t.map((b) => b.outstanding));
    };
    const rnd = maxLoad('random'), two = maxLoad('power_of_two');
    expect(rnd).toBeGreaterThanOrEqual(5);
    expect(two).toBeLessThanOrEqual(4);
    expect(two).toBeLessThan(rnd);
  });

  it('kv_aware prefers the lower KV use of its two choices, then fewer outstanding', () => {
    const t = boxes(2);
    const p = makePolicy('kv_aware', t, stream(1, 'kv'));
    t[0].kv = 0.9;
    t[0].outstanding = 0;
    t[1].kv = 0.1;
    t[1].outstanding = 50;
    for (let k = 0; k < 50; k++) expect(p.pick()).toBe(1);
    t[0].kv = t[1].kv = 0;
    for (let k = 0; k < 50; k++) expect(p.pick()).toBe(0);
  });

  it('routes a GPU fleet: least_outstanding keeps replicas within one request of each other', () => {
    const sim = new Simulator();
    const rec = new Recorder();
    const n = 8;
    let policy!: RouterPolicy;
    const replicas: GpuReplica[] = [];
    const replicaOf: number[] = [];
    // the fleet's side of the contract: notify after every change of outstanding
    const listener = {
      firstToken: (q: number, t: number) => rec.firstToken(q, t),
      done: (q: number, t: number, pre: number, d: number) => {
        rec.done(q, t, pre, d);
        policy.notify(replicaOf[q]);
      },
      rejected: (q: number, t: number, reason: 'queue_full' | 'too_long') => {
        rec.rejected(q, t, reason);
        policy.notify(replicaOf[q]);
      },
    };
    for (let i = 0; i < n; i++) replicas.push(new GpuReplica(sim, linearStep(), BASE_CFG, listener));
    policy = makePolicy('least_outstanding', replicas, stream(1, 'fleet'));
    const rng = stream(1, 'arrivals');
    let spread = 0;
    const hArrive = sim.on(() => {
      const id = rec.add(200, 100, sim.now_ms);
      const i = policy.pick();
      replicaOf[id] = i;
      replicas[i].submit(id, 200, 100);
      policy.notify(i);
      const o = replicas.map((r) => r.outstanding);
      spread = Math.max(spread, Math.max(...o) - Math.min(...o));
      if (id < 3000) sim.after(-Math.log(1 - rng()) * 5, hArrive);
    });
    sim.at(0, hArrive);
    sim.run();
    expect(rec.reqs.filter((q) => q.doneCalls === 1).length).toBe(3001);
    // at arrival instants the least loaded replica took the request: the spread stays small
    expect(spread).toBeLessThanOrEqual(4);
  });
});
