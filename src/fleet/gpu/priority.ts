import type { SlotPool } from './slot-pool.ts';
import { SlotDeque } from './structs.ts';

/** The replica's waiting queue as the scheduler uses it: FCFS (SlotDeque) or by priority (PriorityWaitQueue). */
export interface WaitQueue {
  readonly length: number;
  peekFront(): number;
  at(i: number): number;
  pushBack(s: number): void;
  pushFront(s: number): void;
  popFront(): number;
  clear(): void;
  remove(s: number): boolean;
}

/** Most priority levels a replica keeps apart (0 .. MAX_PRIORITY). */
export const MAX_PRIORITY = 15;

/**
 * vLLM's priority scheduling policy (`--scheduling-policy priority`, vllm/core/scheduler.py): the
 * waiting queue is ordered by (priority, arrival), a lower value first. One FCFS deque per level
 * keeps that order in O(1) per operation: a request joins the back of its level, a preempted one
 * the front of its level (it arrived before everything waiting at its level).
 */
export class PriorityWaitQueue implements WaitQueue {
  private readonly levels: SlotDeque[] = Array.from({ length: MAX_PRIORITY + 1 }, () => new SlotDeque(16));
  /** Lowest level that may hold a slot (every level below it is empty). */
  private top = MAX_PRIORITY + 1;
  length = 0;

  constructor(private readonly slots: SlotPool) {}

  /** The same queue by priority: what a FCFS queue held keeps its order within each level. */
  static from(fcfs: WaitQueue, slots: SlotPool): PriorityWaitQueue {
    const q = new PriorityWaitQueue(slots);
    for (let i = 0; i < fcfs.length; i++) q.pushBack(fcfs.at(i));
    return q;
  }

  private level(s: number): SlotDeque {
    const p = this.slots.priority(s);
    if (p < this.top) this.top = p;
    return this.levels[p];
  }

  private firstLevel(): SlotDeque {
    while (this.levels[this.top].length === 0) this.top++;
    return this.levels[this.top];
  }

  peekFront(): number {
    return this.firstLevel().peekFront();
  }

  at(i: number): number {
    for (let p = 0; p <= MAX_PRIORITY; p++) {
      const d = this.levels[p];
      if (i < d.length) return d.at(i);
      i -= d.length;
    }
    throw new RangeError(`waiting queue index ${i} out of range`);
  }

  pushBack(s: number): void {
    this.level(s).pushBack(s);
    this.length++;
  }

  pushFront(s: number): void {
    this.level(s).pushFront(s);
    this.length++;
  }

  popFront(): number {
    this.length--;
    return this.firstLevel().popFront();
  }

  clear(): void {
    for (const d of this.levels) d.clear();
    this.length = 0;
    this.top = MAX_PRIORITY + 1;
  }

  remove(s: number): boolean {
    if (!this.levels[this.slots.priority(s)].remove(s)) return false;
    this.length--;
    return true;
  }
}
