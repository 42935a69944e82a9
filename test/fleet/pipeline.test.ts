import { describe, expect, it } from 'vitest';
import { runReplications } from '../../src/experiment/replications.ts';
import { smallFleet } from '../helpers/fleet.ts';

/** |x - n p| within 4 binomial standard deviations. */
function expectBinomial(x: number, n: number, p: number, label: string) {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(x - n * p), `${label}: ${x} of ${n}, expected p=${p} (4 sd = ${4 * sd}), seed 1`).toBeLessThan(4 * sd);
}

describe('LLM fleet pipeline', () => {
  // A population of 100,000 users, so that nearly every request is its user's only one: the
  // auth cache holds or misses a user's key for its lifetime (auth_cache_ttl_s), and the share of
  // requests it misses is then a binomial draw per request, as the checks below assume.
  const exp = runReplications(smallFleet({ rate_per_s: 20, fleet: { users: { count: 100_000, zipf_s: 0 } } as never }), 1, 1);
  const s = exp.summary;

  it('every request ends in exactly one bucket, globally and per model', () => {
    const r = s.requests;
    expect(r.offered).toBeGreaterThan(1500);
    expect(r.offered).toBe(r.completed + r.failed + r.rejected + r.timed_out + r.in_flight_at_end);
    let offered = 0;
    for (const m of Object.values(s.by_model!)) {
      const q = m.requests;
      expect(q.offered).toBe(q.completed + q.failed + q.rejected + q.timed_out + q.in_flight_at_end);
      offered += q.offered;
    }
    expect(offered).toBe(r.offered);
  });

  it('the router splits traffic between models as configured', () => {
    expectBinomial(s.by_model!.small.requests.offered, s.requests.offered, 0.7, 'model share');
  });

  it('auth misses reach PostgreSQL, RAG queries the vector DB, chat/completions split by chat_share', () => {
    const st = s.stations;
    const gw = st.gateway.arrivals;
    expectBinomial(st.postgres.arrivals, gw, 0.5, 'auth cache misses');
    const chat = st.chat_api.arrivals;
    // Chat requests are 0.7 x 0.6 of all; the rest (and all embeddings) use completions.
    expectBinomial(chat, st.chat_api.arrivals + st.completions_api.arrivals, 0.42, 'chat share');
    expectBinomial(st.vector_db.arrivals, chat, 0.5, 'RAG share of chat');
    // Moderation runs before and after every generation request, never for embeddings: two
    // checks per completed generation, plus those of requests in flight at either end.
    const gen = s.by_model!.small.requests;
    expect(st.moderation.arrivals / (2 * gen.completed)).toBeGreaterThanOrEqual(1);
    expect(st.moderation.arrivals / (2 * gen.completed)).toBeLessThan(1.05);
  });

  it('reports TTFT, TPOT and ITL, with TTFT below end-to-end and stages that add up', () => {
    const l = s.by_model!.small.latency_ms;
    expect(l.ttft.p50!).toBeGreaterThan(0);
    expect(l.ttft.p50!).toBeLessThan(l.e2e.p50!);
    expect(l.tpot.p50!).toBeGreaterThan(0);
    expect(l.itl.p50!).toBeGreaterThan(0);
    // Embeddings produce one token: no TPOT.
    expect(s.by_model!.embed.latency_ms.tpot.p50).toBeNull();
    // Mean e2e of generation = sum of mean stage times along its path (plus the way back).
    const stage = (n: string) => s.by_stage![n]?.latency_ms.mean ?? 0;
    expect(stage('edge_in')).toBeCloseTo(11, 6); // constant CDN 10 + LB 1
    expect(stage('gpu_ttft')).toBeGreaterThan(0);
    expect(stage('gpu_decode')).toBeGreaterThan(0);
  });

  it('GPU clusters report utilisation, batch size and KV use within bounds', () => {
    const g = s.gpu!.small;
    expect(g.replicas).toBe(4);
    expect(g.busy_fraction).toBeGreaterThan(0);
    expect(g.busy_fraction).toBeLessThanOrEqual(1);
    expect(g.kv_utilization).toBeLessThanOrEqual(1);
    expect(g.batch_size_mean).toBeGreaterThanOrEqual(1);
    expect(g.mfu).toBeGreaterThan(0);
    expect(g.mfu).toBeLessThan(1);
  });

  it('prices the full fleet: planes sum to the total', () => {
    const c = s.cost!;
    const planes = Object.values(c.by_plane).reduce((a: number, b) => a + (typeof b === 'number' ? b : 0), 0);
    expect(planes).toBeCloseTo(c.monthly_usd, 0);
    // 4 A100 GPUs on p4de (8 GPUs) round up to one instance at the 2024 price x 730 h.
    expect(c.by_component['gpu:small']).toBeCloseTo(40.9657 * 730, 0);
  });
});

describe('throughput saturates as load rises', () => {
  it('output tokens/s grow with load, then plateau while latency climbs', () => {
    const run = (rate: number) =>
      runReplications(
        smallFleet({
          rate_per_s: rate,
          duration_s: 90,
          warmup_s: 30,
        }),
        1,
        1,
      ).summary;
    const low = run(5), high = run(120), higher = run(240);
    const tok = (x: typeof low) => x.gpu!.small.output_tokens_per_s;
    expect(tok(high)).toBeGreaterThan(2 * tok(low));
    // Beyond saturation twice the load buys under 15% more tokens.
    expect(tok(higher)).toBeLessThan(1.15 * tok(high));
    expect(higher.gpu!.small.busy_fraction).toBeGreaterThan(0.95);
    // (at 240/s so few requests reach their first token within the run that TTFT has no median)
    expect(high.by_model!.small.latency_ms.ttft.p50).not.toBeNull();
    expect(high.by_model!.small.latency_ms.ttft.p50!).toBeGreaterThan(5 * low.by_model!.small.latency_ms.ttft.p50!);
  });
});
