/**
 * Weighted fair queueing of a tier's waiting requests by request class (the API gateway when the
 * fleet's classes declare `weight`; docs/priorities.md).
 *
 * Self-clocked fair queueing (SCFQ, Golestani, INFOCOM 1994): the head of class c's FIFO carries
 * the finish tag F = max(v, F_c) + 1/w_c, where F_c is the tag of c's last request served and v
 * the tag of the request last taken into service (by any class); the next to serve is the head
 * with the smallest tag. Tags are given at the head rather than on arrival, so a request that
 * times out in the queue charges its class nothing (tagged on arrival, a class whose requests
 * expire would run its tags ahead of v and starve); the next request takes the expired one's tag. Chosen over a virtual-time WFQ that emulates GPS (Demers, Keshav and
 * Shenker 1989) because a tier's service time is drawn when service starts, so the packet length
 * GPS needs is unknown on arrival, and because a tier is many servers whose count faults and
 * autoscalers change: SCFQ needs neither, only the order of service. Each request costs 1, so
 * saturated classes are served in proportion to their weights (SCFQ's bound: over any stretch in
 * which classes i and j both wait, served_i / w_i and served_j / w_j differ by at most 1/w_i + 1/w_j). Chosen over deficit round robin because DRR
 * serves a class's whole quantum in a burst, while SCFQ interleaves (3:1 serves A A A B, then
 * again), which keeps each class's wait even. With one class the tags grow with arrival order:
 * the queue is FIFO, exactly.
 */
export class FairQueue {
  private readonly queues: ClassQueue[];
  /** Finish tag of each class's head (valid while the class waits). */
  private readonly headTag: Float64Array;
  /** Finish tag of each class's last request served (F_c). */
  private readonly servedTag: Float64Array;
  private readonly inverseWeight: Float64Array;
  /** The system's virtual time: the tag of the request last taken into service. */
  private virtual = 0;
  /** Arrival order across classes: the oldest head is the one a timeout reaches first. */
  private arrivals = 0;

  constructor(weights: readonly number[], private readonly classOf: (req: number) => number) {
    this.queues = weights.map(() => new ClassQueue());
    this.headTag = new Float64Array(weights.length);
    this.servedTag = new Float64Array(weights.length);
    this.inverseWeight = Float64Array.from(weights, (w) => 1 / w);
  }

  push(req: number): void {
    const c = this.classOf(req);
    const q = this.queues[c];
    q.push(req, this.arrivals++);
    if (q.length === 1) this.tagHead(c);
  }

  /** Class c has a new head: its finish tag. */
  private tagHead(c: number): void {
    this.headTag[c] = Math.max(this.virtual, this.servedTag[c]) + this.inverseWeight[c];
  }

  /** The class whose head has the smallest finish tag (ties to the lower class index); -1 when empty. */
  private nextClass(): number {
    let best = -1, bestTag = Infinity;
    for (let c = 0; c < this.queues.length; c++) {
      if (this.queues[c].length > 0 && this.headTag[c] < bestTag) {
        best = c;
        bestTag = this.headTag[c];
      }
    }
    return best;
  }

  /** The class whose head arrived first; -1 when empty. */
  private oldestClass(): number {
    let best = -1, bestSeq = Infinity;
    for (let c = 0; c < this.queues.length; c++) {
      const q = this.queues[c];
      if (q.length > 0 && q.headSeq() < bestSeq) {
        best = c;
        bestSeq = q.headSeq();
      }
    }
    return best;
  }

  /** The next request to serve (the queue must not be empty). */
  peek(): number {
    return this.queues[this.nextClass()].headReq();
  }

  /** Takes the next request into service: the virtual time advances to its tag. */
  pop(): number {
    const c = this.nextClass();
    this.virtual = this.servedTag[c] = this.headTag[c];
    return this.shift(c);
  }

  /** The request that has waited longest (timeouts: it expires first). */
  peekOldest(): number {
    return this.queues[this.oldestClass()].headReq();
  }

  /**
   * Removes the oldest request without serving it (it timed out): nothing is charged, and the
   * class's next request inherits its place (its tag). Retagged instead, a class whose heads keep
   * expiring would be pushed back each time and starve.
   */
  popOldest(): number {
    return this.queues[this.oldestClass()].shift();
  }

  private shift(c: number): number {
    const q = this.queues[c];
    const req = q.shift();
    if (q.length > 0) this.tagHead(c);
    return req;
  }
}

/** One class's FIFO of waiting requests with their arrival numbers. */
class ClassQueue {
  private req: number[] = [];
  private seq: number[] = [];
  private head = 0;

  get length(): number {
    return this.req.length - this.head;
  }

  push(req: number, seq: number): void {
    this.req.push(req);
    this.seq.push(seq);
  }

  headReq(): number {
    return this.req[this.head];
  }

  headSeq(): number {
    return this.seq[this.head];
  }

  shift(): number {
    const r = this.req[this.head++];
    // compact once the consumed prefix dominates: amortised O(1) per request
    if (this.head >= 1024 && this.head * 2 >= this.req.length) {
      this.req = this.req.slice(this.head);
      this.seq = this.seq.slice(this.head);
      this.head = 0;
    }
    return r;
  }
}
