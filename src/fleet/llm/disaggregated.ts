import type { Simulator } from '../../engine/sim.ts';
import { LatencyStats } from '../../metrics/latency.ts';
import { getInstance, INSTANCES, matchingInstance, type PriceSet } from '../../cost/prices.ts';
import { UserError } from '../../errors.ts';
import { excerpt } from '../../util/excerpt.ts';
import type { RequestPool } from '../request-pool.ts';
import type { ReplicaListener } from '../gpu/replica.ts';
import { poolInstanceUnsold, type FleetSpec, type ServedSpec } from '../schema.ts';
import type { Cluster } from './cluster.ts';
import { KvLink } from './kv-link.ts';

/**
 * Prefill/decode disaggregation of one served model (docs/disaggregation.md): its requests are
 * routed to a prefill replica (the model's route: the pipeline's router picks it like any replica),
 * which serves them up to the first token; the prompt's KV cache (KV bytes per token x prompt
 * tokens) then crosses that replica's KV link (kv-link.ts: queued in order), and the request joins
 * a decode replica of the same region (least loaded by the pool's router), waiting there for KV
 * space like any request. TTFT is measured at the prefill replica; the transfer and the decode
 * queue fall in the time per output token.
 *
 * No decode replica to hand the request to (the pool failed or switched off), or a failed link:
 * the request fails (the client may retry it). A decode replica that fails fails its requests
 * (their first token is out), as a colocated one does.
 */

/** The pipeline's side of the hand-over (FleetPipeline implements it). */
export interface DisaggregationHost {
  firstToken(req: number, t_ms: number): void;
  done(req: number, t_ms: number, preemptions: number, schedDelay_ms: number): void;
  rejected(req: number, t_ms: number): void;
  dropped(req: number, outcome: 'failed', t_ms: number): void;
  /** The replica aborted the request (cancellation), its KV blocks freed. */
  aborted(req: number, t_ms: number): void;
  /** The client left the request and its model's stack cancels: it is dropped at its next hop. */
  isCancelled(req: number): boolean;
  /** The scheduling priority of the request's class: the decode replica orders by it as the prefill one did. */
  priorityOf(req: number): number;
}

/** The two pool names of a disaggregated model: the GPU-cluster names faults and the bill use (`gpu:<model>:prefill`). */
export const poolName = (model: string, pool: 'prefill' | 'decode') => `${model}:${pool}`;

/** A transfer's identifier wraps (event payloads are 32-bit); far more than can be in flight at once. */
const TRANSFER_ID_MASK = 0x3fffffff;

export class DisaggregatedRoute {
  /** prefill[region], decode[region]: set by the builder once the replicas exist. */
  prefill: Cluster[] = [];
  decode: Cluster[] = [];
  /** links[region][prefill replica] */
  links: KvLink[][] = [];
  /** Transfer time (queue on the link + bytes / bandwidth + latency) of counted requests. */
  readonly transfer_ms = new LatencyStats();
  /** Counted requests lost on a failed link, and with no decode replica to go to. */
  lostOnLink = 0;
  noDecodeReplica = 0;
  private readonly inFlight = new Map<number, { req: number; region: number; sent_ms: number }>();
  private nextTransfer = 0;
  /** The links call it with the transfer's id when its KV cache has arrived. */
  readonly arriveHandler: number;

  readonly prefillListener: ReplicaListener;
  readonly decodeListener: ReplicaListener;

  constructor(
    private readonly sim: Simulator,
    private readonly pool: RequestPool,
    private readonly host: DisaggregationHost,
    private readonly kvBytesPerToken: number,
  ) {
    this.arriveHandler = sim.on((id) => this.arrived(id));
    this.prefillListener = {
      firstToken: (req, t) => host.firstToken(req, t),
      done: (req, t, pre, delay) => this.prefilled(req, t, pre, delay),
      rejected: (req, t) => host.rejected(req, t),
      aborted: (req, t) => host.aborted(req, t),
    };
    this.decodeListener = {
      firstToken: () => {
        throw new Error('a decode-only replica produced a first token (internal error)');
      },
      done: (req, t, pre, delay) => host.done(req, t, pre, delay),
      rejected: (req, t) => host.rejected(req, t),
      aborted: (req, t) => host.aborted(req, t),
    };
  }

  /** Prefill is done and the first token out: ship the KV cache, unless that was the only token. */
  private prefilled(req: number, t_ms: number, preemptions: number, schedDelay_ms: number): void {
    const pool = this.pool;
    if (pool.outputTokens(req) <= 1) return this.host.done(req, t_ms, preemptions, schedDelay_ms);
    const g = pool.station(req);
    const c = this.prefill.find((x) => g >= x.firstGlobal && g < x.firstGlobal + x.replicas.length)!;
    const i = g - c.firstGlobal;
    c.policy.notify?.(i);
    const link = this.links[c.region][i];
    if (link.failed) return this.lose(req, t_ms, 'link');
    const id = this.nextTransfer;
    this.nextTransfer = (id + 1) & TRANSFER_ID_MASK;
    this.inFlight.set(id, { req, region: c.region, sent_ms: t_ms });
    link.send(id, this.kvBytesPerToken * pool.promptTokens(req));
  }

  /** The KV cache has arrived: the request joins a decode replica of its region. */
  private arrived(id: number): void {
    const x = this.inFlight.get(id);
    if (x === undefined) throw new Error(`KV transfer ${id} arrived twice or after it was lost (internal error)`);
    this.inFlight.delete(id);
    const pool = this.pool;
    if (pool.counted(x.req)) this.transfer_ms.add(this.sim.now_ms - x.sent_ms);
    // its client left while the KV cache was on the link: no decode replica takes it
    if (this.host.isCancelled(x.req)) return this.host.aborted(x.req, this.sim.now_ms);
    const c = this.decode[x.region];
    const i = c.policy.pick();
    if (i < 0 || !c.replicas[i].healthy) return this.lose(x.req, this.sim.now_ms, 'decode');
    pool.setStation(x.req, c.firstGlobal + i);
    // the decode replica's slot, so that a cancellation finds the request there
    pool.setGpuSlot(x.req, c.replicas[i].submit(x.req, pool.promptTokens(x.req), pool.outputTokens(x.req), -1, 0, null, this.host.priorityOf(x.req)));
    c.policy.notify?.(i);
  }

  private lose(req: number, t_ms: number, why: 'link' | 'decode'): void {
    if (this.pool.counted(req)) {
      if (why === 'link') this.lostOnLink++;
      else this.noDecodeReplica++;
    }
    this.host.dropped(req, 'failed', t_ms);
  }

  /**
   * A KV-link fault: every link of the model (of one region when `region` >= 0) gets
   * `bandwidthFraction` of its bandwidth; 0 fails them, and the transfers they carry fail now.
   */
  setLinkCondition(region: number, bandwidthFraction: number): void {
    const now = this.sim.now_ms;
    this.links.forEach((row, r) => {
      if (region >= 0 && r !== region) return;
      for (const l of row) {
        for (const id of l.setCondition(bandwidthFraction)) {
          const req = this.inFlight.get(id)!.req;
          this.inFlight.delete(id);
          this.lose(req, now, 'link');
        }
      }
    });
  }

  /** Every link of the model. */
  allLinks(): KvLink[] {
    return this.links.flat();
  }
}

/**
 * The served specs of a disaggregated model's two pools: the model's own, with the pool's GPU,
 * TP, GPU count, instance and batching. The pools' GPUs must add up to the model's `gpus` (one pool
 * may leave its count out and take the rest), so a P:D sweep at a fixed GPU count varies one knob.
 */
export function poolSpecs(name: string, spec: ServedSpec, priceSet: PriceSet): { prefill: ServedSpec; decode: ServedSpec } {
  const d = spec.disaggregation!;
  const where = `fleet.models.${name}.disaggregation`;
  if (spec.ep > 1) throw new UserError(`${where}: expected a model without expert parallelism (ep 1); disaggregated expert-parallel pools are not modelled yet`);
  if (d.prefill.gpus === undefined && d.decode.gpus === undefined) throw new UserError(`${where}.prefill.gpus: expected the GPUs of at least one pool (the other may take the rest of the model's ${spec.gpus})`);
  const rest = (other: number | undefined) => spec.gpus - (other ?? 0);
  const gpus = { prefill: d.prefill.gpus ?? rest(d.decode.gpus), decode: d.decode.gpus ?? rest(d.prefill.gpus) };
  if (gpus.prefill + gpus.decode !== spec.gpus || gpus.prefill < 1 || gpus.decode < 1) {
    throw new UserError(`${where}: the pools' GPUs (prefill ${gpus.prefill}, decode ${gpus.decode}) must be at least 1 each and add up to fleet.models.${name}.gpus (${spec.gpus})`);
  }
  const one = (pool: 'prefill' | 'decode'): ServedSpec => {
    const p = d[pool];
    const gpu = p.gpu ?? spec.gpu;
    const tp = p.tp ?? spec.tp;
    const instance = p.instance ?? (gpu === spec.gpu ? spec.instance : matchingInstance(gpu, tp, priceSet)?.type);
    if (instance === undefined) throw new UserError(`${where}.${pool}.instance: expected an instance type; no catalog instance carries ${excerpt(gpu)}`);
    if (Object.hasOwn(INSTANCES, instance) && getInstance(instance).gpu !== gpu) throw new UserError(`${where}.${pool}.instance: ${excerpt(instance)} does not carry the pool's GPU ${excerpt(gpu)}`);
    // the model's purchase mix buys the pool's instances too: checked here, where validate sees it, not first in the bill
    const unsold = poolInstanceUnsold(instance, spec.purchase, `fleet.models.${name}.purchase`);
    if (unsold) throw new UserError(`${where}.${pool}.instance: ${unsold}, got ${excerpt(instance)}`);
    if (gpus[pool] % tp !== 0) throw new UserError(`${where}.${pool}.gpus: expected a multiple of the pool's tp ${tp}, got ${gpus[pool]}`);
    return { ...spec, gpu, tp, gpus: gpus[pool], instance, batching: p.batching ?? spec.batching, disaggregation: undefined };
  };
  return { prefill: one('prefill'), decode: one('decode') };
}

/**
 * The scenario path of a pool's setting `key` in messages: the pool's own under its model's
 * `disaggregation` (its GPU count always: one pool may take the rest), else the model's, which the
 * pool inherits (they named the internal label `fleet.models.<model>:prefill.engine`).
 */
export function poolField(name: string, spec: ServedSpec, pool: 'prefill' | 'decode'): (key: string) => string {
  const own = spec.disaggregation![pool];
  return (key) => {
    const top = key.split('.')[0];
    const pools = top === 'gpus' || (Object.hasOwn(own, top) && own[top as keyof typeof own] !== undefined);
    return pools ? `fleet.models.${name}.disaggregation.${pool}.${key}` : `fleet.models.${name}.${key}`;
  };
}
