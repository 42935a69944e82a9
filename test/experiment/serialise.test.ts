import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyStats } from '../../src/metrics/latency.ts';
import { TimeSeries } from '../../src/metrics/timeseries.ts';

/** Values as latencies come: zeros, sub-millisecond, seconds, the odd huge one. */
const latency = fc.oneof(fc.constant(0), fc.double({ min: 1e-4, max: 1, noNaN: true }), fc.double({ min: 1, max: 1e6, noNaN: true }));

const roundTrip = (s: LatencyStats) => LatencyStats.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));

describe('sketch serialisation (worker threads, shard files)', () => {
  it('a rebuilt sketch answers and merges exactly like the original', () => {
    fc.assert(
      fc.property(fc.array(fc.array(latency, { maxLength: 300 }), { minLength: 1, maxLength: 5 }), (chunks) => {
        const parts = chunks.map((xs) => {
          const s = new LatencyStats();
          for (const x of xs) s.add(x);
          return s;
        });
        const live = new LatencyStats();
        const rebuilt = new LatencyStats();
        for (const p of parts) {
          live.merge(p);
          rebuilt.merge(roundTrip(p));
        }
        expect(rebuilt.summary()).toEqual(live.summary());
        expect(rebuilt.toJSON()).toEqual(live.toJSON());
        for (const q of [0, 0.1, 0.5, 0.9, 0.99, 0.999, 1]) expect(rebuilt.quantile(q)).toBe(live.quantile(q));
      }),
      { numRuns: 150 },
    );
  });

  it('an empty sketch survives JSON (min and max are infinite)', () => {
    const e = roundTrip(new LatencyStats());
    expect(e.count).toBe(0);
    expect(e.summary().p99).toBeNull();
    e.add(5);
    expect(e.summary()).toMatchObject({ max: 5, mean: 5 });
  });

  it('time series merge the same rebuilt as live, windows and counters included', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.tuple(fc.double({ min: 0, max: 99.999, noNaN: true }), latency, fc.boolean()), { maxLength: 200 }), { minLength: 1, maxLength: 4 }), (runs) => {
        const make = (events: [number, number, boolean][]) => {
          const ts = new TimeSeries(10_000, 100_000, 20_000);
          for (const [t_s, ms, ok] of events) {
            ts.arrival(t_s * 1000);
            if (ok) ts.completion(t_s * 1000, ms);
            else ts.error(t_s * 1000);
          }
          return ts;
        };
        const live = runs.map(make);
        const rebuilt = runs.map((r) => TimeSeries.fromJSON(JSON.parse(JSON.stringify(make(r).toJSON()))));
        for (let i = 1; i < runs.length; i++) {
          live[0].merge(live[i]);
          rebuilt[0].merge(rebuilt[i]);
        }
        expect(rebuilt[0].rows(runs.length)).toEqual(live[0].rows(runs.length));
        expect(rebuilt[0].toJSON()).toEqual(live[0].toJSON());
      }),
      { numRuns: 60 },
    );
  });
});
