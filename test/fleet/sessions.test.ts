import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/engine/sim.ts';
import { buildFleet } from '../../src/fleet/llm/build.ts';
import { RequestPool } from '../../src/fleet/request-pool.ts';
import type { Outcome } from '../../src/metrics/outcomes.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { embedModel, smallFleet, smallModel } from '../helpers/fleet.ts';
import { userError } from '../helpers/errors.ts';

interface Turn {
  session: number;
  turn: number;
  user: number;
  arrival_ms: number;
  prompt: number;
  output: number;
  end_ms: number;
  outcome?: Outcome;
}

type Extra = Record<string, unknown>;

/**
 * Drives the fleet without the client layer: `n` requests arrive 500 ms apart; the fleet's own
 * follow-up turns arrive through `arrive`. Records every request as the sink sees it.
 */
function drive(extra: Extra, n: number, modelExtra: Extra = {}): Turn[] {
  const small = { ...smallModel(), share: 1, ...modelExtra, ...extra };
  const prep = smallFleet({ rate_per_s: 1, fleet: { models: { small } } });
  const sim = new Simulator();
  const pool = new RequestPool();
  const turns: Turn[] = [];
  const byReq = new Map<number, Turn>();
  const sink = {
    arrive(): void {
      const req = pool.alloc();
      pool.setArrivalMs(req, sim.now_ms);
      pool.setCounted(req, 1);
      pool.setLogical(req, 0);
      pool.setFlags(req, 0);
      pool.setModel(req, 0);
      pool.setSessionId(req, -1);
      pool.setDeadlineMs(req, Infinity);
      fleet.pipeline.first(req);
      const t: Turn = { session: pool.sessionId(req), turn: pool.sessionTurn(req), user: pool.user(req), arrival_ms: sim.now_ms, prompt: pool.promptTokens(req), output: pool.outputTokens(req), end_ms: NaN };
      turns.push(t);
      byReq.set(req, t);
    },
    finish(req: number, outcome: Outcome, t_ms: number): void {
      const t = byReq.get(req)!;
      byReq.delete(req);
      t.end_ms = t_ms;
      t.outcome = outcome;
      pool.release(req);
    },
  };
  const fleet = buildFleet(sim, pool, sink, prep, 1);
  const next = sim.on(() => sink.arrive());
  for (let i = 0; i < n; i++) sim.at(i * 500, next, 0);
  sim.run(3_600_000);
  return turns;
}

const sessionsOf = (turns: Turn[]) => {
  const by = new Map<number, Turn[]>();
  for (const t of turns) if (t.session >= 0) by.set(t.session, [...(by.get(t.session) ?? []), t]);
  return [...by.values()];
};

describe('multi-turn sessions: a closed loop per session', () => {
  const think = 2000, message = 50, turnsPer = 4;
  const turns = drive({ sessions: { share: 1, turns: { dist: 'constant', value: turnsPer }, think_time_ms: { dist: 'constant', value: think }, message_tokens: { dist: 'constant', value: message } } }, 20);
  const sessions = sessionsOf(turns);

  it('every request opens a session of 4 turns, all of the same user, numbered 1..4', () => {
    expect(sessions).toHaveLength(20);
    for (const s of sessions) {
      expect(s.map((t) => t.turn)).toEqual([1, 2, 3, 4]);
      expect(new Set(s.map((t) => t.user)).size).toBe(1);
      expect(s.every((t) => t.outcome === 'completed')).toBe(true);
    }
  });

  it("turn k arrives at turn k-1's response end + the think time", () => {
    for (const s of sessions) for (let k = 1; k < s.length; k++) expect(s[k].arrival_ms).toBeCloseTo(s[k - 1].end_ms + think, 9);
  });

  it('turn k resends the conversation: its prompt = turn k-1 prompt + answer + the new message', () => {
    for (const s of sessions) for (let k = 1; k < s.length; k++) expect(s[k].prompt).toBe(s[k - 1].prompt + s[k - 1].output + message);
  });
});

describe('agent loops and context overflow', () => {
  it('an agent turn arrives after the tool latency and carries the tool result', () => {
    const turns = drive({ agents: { share: 1, turns: { dist: 'constant', value: 6 }, tool_latency_ms: { dist: 'constant', value: 300 }, tool_result_tokens: { dist: 'constant', value: 200 } } }, 5);
    const loops = sessionsOf(turns);
    expect(loops).toHaveLength(5);
    for (const s of loops) {
      expect(s).toHaveLength(6);
      for (let k = 1; k < s.length; k++) {
        expect(s[k].arrival_ms).toBeCloseTo(s[k - 1].end_ms + 300, 9);
        expect(s[k].prompt).toBe(s[k - 1].prompt + s[k - 1].output + 200);
      }
    }
  });

  it('a conversation longer than the context window is cut from the start: prompt + output fit it', () => {
    const maxContext = 1500;
    const turns = drive({ sessions: { share: 1, turns: { dist: 'constant', value: 8 }, think_time_ms: { dist: 'constant', value: 100 }, message_tokens: { dist: 'constant', value: 300 } } }, 4, { max_context: maxContext });
    const long = sessionsOf(turns);
    let cut = 0;
    for (const s of long) {
      for (let k = 1; k < s.length; k++) {
        expect(s[k].prompt + s[k].output).toBeLessThanOrEqual(maxContext);
        const whole = s[k - 1].prompt + s[k - 1].output + 300;
        if (whole + s[k].output > maxContext) {
          cut++;
          expect(s[k].prompt).toBe(maxContext - s[k].output);
        } else expect(s[k].prompt).toBe(whole);
      }
    }
    expect(cut).toBeGreaterThan(4);
  });

  it('refuses shares above 1 together, and sessions on an embedding model', () => {
    const dist = { dist: 'constant' as const, value: 1 };
    const bad = { sessions: { share: 0.7, turns: dist, think_time_ms: dist, message_tokens: dist }, agents: { share: 0.4, turns: dist, tool_latency_ms: dist, tool_result_tokens: dist } };
    expect(userError(() => drive(bad, 1))).toMatch(/fleet\.models\.small: sessions\.share \+ agents\.share: expected at most 1, got 1\.1/);
    const embed = smallFleet({ rate_per_s: 1, fleet: { models: { small: smallModel(), embed: { ...embedModel(), sessions: bad.sessions } } } });
    expect(userError(() => runReplications(embed, 1, 1))).toMatch(/fleet\.models\.embed: sessions and agents: expected a generating model/);
  });
});

describe('a fleet with sessions reports its prefix cache', () => {
  it('on one replica, each later turn finds its whole conversation but the last partial block: the hit rate is the closed form', () => {
    const dist = (value: number) => ({ dist: 'constant' as const, value });
    const small = smallModel();
    const run = (sessions: boolean) =>
      runReplications(
        smallFleet({
          rate_per_s: 1,
          duration_s: 200,
          warmup_s: 30,
          fleet: { models: { small: { ...small, gpus: 1, ...(sessions ? { sessions: { share: 1, turns: dist(5), think_time_ms: dist(1000), message_tokens: dist(100) } } : {}) }, embed: embedModel() } },
        }),
        1,
        1,
      ).summary;
    const withSessions = run(true).gpu!.small;
    expect(run(false).gpu!.small.prefix_hit_rate).toBeUndefined();
    // prompts U(100, 900) (mean 500), answers U(20, 200) (mean 110), messages 100: turn k's prompt
    // has mean 500 + 210 (k - 1); turn k >= 2 finds floor((prompt + answer of turn k-1 - 1) / 16)
    // blocks: on average that conversation less 8.5 tokens (the last partial block and the last token)
    const prompts = [1, 2, 3, 4, 5].reduce((a, k) => a + 500 + 210 * (k - 1), 0);
    const hits = [1, 2, 3, 4].reduce((a, k) => a + 500 + 210 * (k - 1) + 110 - 8.5, 0);
    expect(Math.abs(withSessions.prefix_hit_rate! - hits / prompts)).toBeLessThan(0.03);
  });
});
