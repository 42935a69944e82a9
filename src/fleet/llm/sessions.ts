import { makeSampler, type Sampler } from '../../engine/distributions.ts';
import type { Rng } from '../../engine/random.ts';
import type { Simulator } from '../../engine/sim.ts';
import { PREFIX_FAMILY, type PrefixChain, prefixKey } from '../gpu/prefix-cache.ts';
import { F_ABANDONED, type RequestPool } from '../request-pool.ts';
import { INT32_MAX } from '../../util/limits.ts';
import { UserError } from '../../errors.ts';
import type { TokenSource } from './tokens.ts';

type DistInput = Parameters<typeof makeSampler>[0];

/** One kind of multi-turn traffic of a model: conversations (think time) or agent loops (tool latency). */
export interface ConversationKind {
  share: number;
  turns: DistInput;
  gap_ms: DistInput;
  append_tokens: DistInput;
}

/**
 * Turns one session may take. A draw is clamped to it before it goes into the Int32Array of turns
 * left (3e9 turns used to wrap to a negative count, a session that never ended; 1e308 to 0); the
 * schema refuses a turns distribution centred above it (fleet/schema.ts).
 */
export const MAX_SESSION_TURNS = 1_000_000;

/** Flag bits a session's turns keep from its first (the API it goes through, an embedding request). */
const KEPT_FLAGS = 1 | 4; // F_CHAT | F_EMBED (request-pool.ts)
/** Session-segment keys live in 32 bits (prefixKey); they wrap around after that many truncations. */
const KEY_SPACE = 2 ** 32;

/**
 * The open multi-turn sessions of one served model. A new request opens one with probability
 * `share` (per kind); the session's next turn is scheduled when a turn's response reaches the
 * client, after the kind's gap (think time or tool latency), and it is sent as a new request of
 * the same user, region and API. Its prompt is the system prompt, the conversation so far and the
 * new part. A conversation that no longer fits the context window is cut from the start, as chat
 * applications do: its cached chain is broken (the next turn starts a new session segment). A turn
 * that fails, times out or is rejected ends its session. State: a dozen numbers per open session.
 */
export class SessionBook {
  private readonly kinds: { share: number; turns: Sampler; gap: Sampler; append: Sampler }[];
  private readonly slotOf = new Map<number, number>();
  private id = new Int32Array(64);
  private kind = new Int32Array(64);
  private turn = new Int32Array(64);
  private turnsLeft = new Int32Array(64);
  private user = new Int32Array(64);
  private region = new Int32Array(64);
  private flags = new Int32Array(64);
  private systemId = new Int32Array(64);
  private systemTokens = new Int32Array(64);
  /** Tokens of the conversation after the system prompt before the turn in flight, and its segment key. */
  private history = new Float64Array(64);
  private segment = new Float64Array(64);
  private readonly free: number[] = [];
  private used = 0;
  private nextId = 0;
  private nextSegment = 0;
  private readonly turnHandler: number;
  /** Sessions open now. */
  open = 0;
  /** Sessions opened, turns sent after the first, and conversations cut to the context window (whole run). */
  readonly counts = { opened: 0, later_turns: 0, truncated: 0 };

  constructor(
    private readonly sim: Simulator,
    kinds: ConversationKind[],
    private readonly rng: Rng,
    private readonly maxContext: number,
    private readonly maxOpen: number,
    /** Sends a session's next turn (the pipeline makes it a new request and calls fillTurn). */
    sendTurn: (slot: number) => void,
  ) {
    this.kinds = kinds.map((k) => ({ share: k.share, turns: makeSampler(k.turns, rng), gap: makeSampler(k.gap_ms, rng), append: makeSampler(k.append_tokens, rng) }));
    this.turnHandler = sim.on(sendTurn);
  }

  /** A new request (tokens drawn, user, region and flags set): it may open a session as its first turn. */
  maybeOpen(req: number, pool: RequestPool, tokens: TokenSource): void {
    const u = this.rng();
    let k = 0, cum = this.kinds[0].share;
    while (u >= cum && ++k < this.kinds.length) cum += this.kinds[k].share;
    if (k === this.kinds.length || this.open >= this.maxOpen) return;
    const s = this.allocSlot();
    const id = this.nextId;
    this.nextId = this.nextId >= INT32_MAX - 1 ? 0 : this.nextId + 1; // the request record keeps id + 1 in 32 bits
    this.slotOf.set(id, s);
    this.id[s] = id;
    this.kind[s] = k;
    this.turn[s] = 1;
    this.turnsLeft[s] = Math.min(MAX_SESSION_TURNS, Math.max(1, Math.round(this.kinds[k].turns.sample()))) - 1;
    this.user[s] = pool.user(req);
    this.region[s] = pool.region(req);
    this.flags[s] = pool.flags(req) & KEPT_FLAGS;
    this.systemId[s] = tokens.prefixId;
    this.systemTokens[s] = tokens.prefixId >= 0 ? tokens.prefixTokens : 0;
    this.history[s] = 0;
    this.segment[s] = this.newSegment();
    this.counts.opened++;
    pool.setSessionId(req, id);
    pool.setSessionTurn(req, 1);
  }

  /**
   * A turn left the system at t_ms: a completed one (its client still waiting) schedules the next
   * turn after the gap, if any is left; anything else ends the session.
   */
  ended(req: number, pool: RequestPool, completed: boolean, t_ms: number): void {
    const s = this.slotOf.get(pool.sessionId(req));
    if (s === undefined || pool.sessionTurn(req) !== this.turn[s]) return; // an old attempt of the turn
    if (!completed || (pool.flags(req) & F_ABANDONED) !== 0 || this.turnsLeft[s] === 0) return this.close(s);
    // the conversation now holds this turn's prompt (after the system prompt) and its answer
    this.history[s] = pool.promptTokens(req) - this.systemTokens[s] + pool.outputTokens(req);
    this.turnsLeft[s]--;
    this.turn[s]++;
    const gap = Math.max(0, this.kinds[this.kind[s]].gap.sample());
    this.sim.at(Math.max(t_ms, this.sim.now_ms) + gap, this.turnHandler, s);
  }

  /** Fills request `req` as the session's next turn (model already set); `output` from the model's draw. */
  fillTurn(s: number, req: number, pool: RequestPool, output: number): void {
    const system = this.systemTokens[s];
    const append = Math.max(1, Math.round(this.kinds[this.kind[s]].append.sample()));
    let out = Math.max(1, output);
    if (out > this.maxContext / 2) out = Math.floor(this.maxContext / 2);
    let history = this.history[s];
    if (system + history + append + out > this.maxContext) {
      // cut from the start of the conversation (the system prompt stays): a new segment
      history = Math.max(0, this.maxContext - out - system - append);
      this.history[s] = history;
      this.segment[s] = this.newSegment();
      this.counts.truncated++;
    }
    const prompt = Math.max(1, Math.min(system + history + append, this.maxContext - out));
    pool.setRegion(req, this.region[s]);
    pool.setUser(req, this.user[s]);
    pool.setFlags(req, this.flags[s]);
    pool.setPromptTokens(req, prompt);
    pool.setOutputTokens(req, out);
    pool.setPrefixId(req, this.systemId[s]);
    pool.setPrefixTokens(req, Math.min(system, prompt));
    pool.setSessionId(req, this.id[s]);
    pool.setSessionTurn(req, this.turn[s]);
    this.counts.later_turns++;
  }

  /** A scheduled turn could not be sent (the client's breaker was open): the session ends. */
  abandon(s: number): void {
    this.close(s);
  }

  /** The prefix chain of a session's turn: its system prompt, then the session's conversation so far. */
  chainOf(req: number, pool: RequestPool, chain: PrefixChain): PrefixChain | null {
    const s = this.slotOf.get(pool.sessionId(req));
    if (s === undefined) return null;
    chain.clear();
    const system = this.systemTokens[s];
    if (system > 0) chain.push(prefixKey(PREFIX_FAMILY.systemPrompt, this.systemId[s]), system);
    return chain.push(prefixKey(PREFIX_FAMILY.session, this.segment[s]), system + this.history[s]);
  }

  private newSegment(): number {
    const key = this.nextSegment;
    this.nextSegment = (this.nextSegment + 1) % KEY_SPACE;
    return key;
  }

  private close(s: number): void {
    this.slotOf.delete(this.id[s]);
    this.free.push(s);
    this.open--;
  }

  private allocSlot(): number {
    this.open++;
    const free = this.free.pop();
    if (free !== undefined) return free;
    if (this.used === this.id.length) this.grow();
    return this.used++;
  }

  private grow(): void {
    const n = this.id.length * 2;
    const widen = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    [this.id, this.kind, this.turn, this.turnsLeft, this.user, this.region, this.flags, this.systemId, this.systemTokens] =
      [this.id, this.kind, this.turn, this.turnsLeft, this.user, this.region, this.flags, this.systemId, this.systemTokens].map(widen);
    this.history = widen(this.history);
    this.segment = widen(this.segment);
  }
}

/** What a served model's scenario says of its sessions (fleet/schema.ts). */
interface ConversationsInput {
  kind: 'generate' | 'embed';
  sessions?: { share: number; turns: DistInput; think_time_ms: DistInput; message_tokens: DistInput };
  agents?: { share: number; turns: DistInput; tool_latency_ms: DistInput; tool_result_tokens: DistInput };
}

/** The kinds of multi-turn traffic a served model's scenario asks for; refuses shares above 1 in all and embedding models. */
export function conversationKinds(spec: ConversationsInput, where: string): ConversationKind[] {
  const kinds: ConversationKind[] = [];
  if (spec.sessions) kinds.push({ share: spec.sessions.share, turns: spec.sessions.turns, gap_ms: spec.sessions.think_time_ms, append_tokens: spec.sessions.message_tokens });
  if (spec.agents) kinds.push({ share: spec.agents.share, turns: spec.agents.turns, gap_ms: spec.agents.tool_latency_ms, append_tokens: spec.agents.tool_result_tokens });
  if (kinds.length > 0 && spec.kind === 'embed') throw new UserError(`${where}: sessions and agents: expected a generating model (an embedding request has no turns)`);
  const share = kinds.reduce((a, k) => a + k.share, 0);
  if (share > 1) throw new UserError(`${where}: sessions.share + agents.share: expected at most 1, got ${share}`);
  return kinds;
}
