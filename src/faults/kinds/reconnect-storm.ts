import type { Simulator } from '../../engine/sim.ts';
import type { ServiceTier } from '../../fleet/stations/tier.ts';

/** How the clients of one Redis tier reconnect after losing their connections. */
export interface ReconnectSpec {
  /** Client connections each node holds (every API and gateway instance keeps one to every node of the cluster). */
  connections_per_node: number;
  /** Server time to set up one connection (TCP accept, TLS handshake, AUTH): the node's one command thread does it. */
  connect_ms: number;
  /** A client gives up on a connection attempt after this and tries again. */
  connect_timeout_ms: number;
  /** Connections accepted but not yet set up that a node holds (Redis's tcp-backlog); attempts beyond it are refused at no cost. */
  accept_backlog: number;
  /** Pooled clients wait this long after a failed attempt before the next; without pooling they retry at once. */
  backoff_ms: number;
}

/** Simulated time between updates of the storm: a quarter of the usual 1 s connect timeout. */
const STEP_MS = 250;

/**
 * The reconnection of a tier's clients after a failover, per node, as a fluid queue of connection
 * attempts (per node and per second, so it does not depend on fleet sampling):
 *
 * - every client without a connection attempts one every connect_timeout_ms (+ backoff_ms);
 * - attempts wait in the node's accept backlog (bounded) and are set up first come, first served,
 *   connect_ms each; capacity added to the tier (a `capacity` fault) sets them up faster;
 * - an attempt set up after its client gave up is work done for nobody: the connection is closed.
 *
 * So when the backlog holds more than connect_timeout_ms of set-up work, every connection the node
 * sets up is already abandoned, no client gets one, and the storm sustains itself with no end of its
 * own. Operations of a client without a connection fail; operations queued behind a backlog older
 * than the tier's timeout fail too, and their clients close those connections.
 */
export class ReconnectStorm {
  /** Clients per node still without a connection. */
  private unconnected = 0;
  /** Attempts waiting in the accept backlog, per node. */
  private backlog = 0;
  private readonly baseServers: number;
  private readonly stepHandler: number;
  private running = false;

  constructor(
    private readonly sim: Simulator,
    private readonly tier: ServiceTier,
    private readonly spec: ReconnectSpec,
    /** Called when every client has its connection again. */
    private readonly onRecovered: (t_ms: number) => void,
  ) {
    this.baseServers = Math.max(1, tier.station.servers);
    this.stepHandler = sim.on(() => this.step());
  }

  /** Every client lost its connection (the primary is gone): from now on they reconnect. */
  start(): void {
    this.unconnected = this.spec.connections_per_node;
    this.backlog = 0;
    if (!this.running) {
      this.running = true;
      this.sim.after(STEP_MS, this.stepHandler, 0);
    }
    this.applyToOperations();
  }

  /** How long the last attempt in the backlog waits before it is set up, at the node's current capacity. */
  backlogWait_ms(): number {
    return (this.backlog * this.spec.connect_ms) / this.capacityFactor();
  }

  private capacityFactor(): number {
    return Math.max(1e-9, this.tier.station.servers / this.baseServers);
  }

  private step(): void {
    const s = this.spec;
    const retryEvery_ms = s.connect_timeout_ms + s.backoff_ms;
    const attempts = (this.unconnected * STEP_MS) / retryEvery_ms;
    const admitted = Math.min(attempts, s.accept_backlog - this.backlog);
    // First come, first served: the attempts set up now are the oldest, which waited the backlog's wait.
    const abandoned = this.backlogWait_ms() > s.connect_timeout_ms;
    this.backlog += admitted;
    const setUp = Math.min(this.backlog, (STEP_MS * this.capacityFactor()) / s.connect_ms);
    this.backlog -= setUp;
    if (!abandoned) this.unconnected = Math.max(0, this.unconnected - setUp);
    // Operations of connected clients wait behind the backlog on the node's one thread; past the
    // tier's timeout they time out, and a client closes a connection that timed out.
    else if (this.backlogWait_ms() > this.tier.station.timeout_ms) this.unconnected = this.spec.connections_per_node;
    // Below one client per node the storm is over.
    if (this.unconnected < 1) {
      this.unconnected = 0;
      this.backlog = 0;
      this.running = false;
      this.applyToOperations();
      this.onRecovered(this.sim.now_ms);
      return;
    }
    this.applyToOperations();
    this.sim.after(STEP_MS, this.stepHandler, 0);
  }

  /** Operations fail without a connection, or behind a set-up backlog longer than their timeout. */
  private applyToOperations(): void {
    const withoutConnection = this.unconnected / this.spec.connections_per_node;
    this.tier.failProb = this.backlogWait_ms() > this.tier.station.timeout_ms ? 1 : withoutConnection;
  }
}
