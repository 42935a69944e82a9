/** Every counted request ends in exactly one of these buckets (or is still in flight at the end). */
export type Outcome = 'completed' | 'failed' | 'rejected' | 'timed_out';

export interface RequestCounts {
  offered: number;
  completed: number;
  failed: number;
  rejected: number;
  timed_out: number;
  in_flight_at_end: number;
}

export function emptyCounts(): RequestCounts {
  return { offered: 0, completed: 0, failed: 0, rejected: 0, timed_out: 0, in_flight_at_end: 0 };
}
