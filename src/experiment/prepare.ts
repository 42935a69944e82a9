import { resolve } from 'node:path';
import type { LoadedScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { loadTrace, type Trace } from '../workload/trace.ts';

/** A validated scenario with its external inputs (traces) loaded once, shared by replications. */
export interface Prepared {
  scenario: Scenario;
  file: string;
  trace?: Trace;
}

export function prepare(loaded: LoadedScenario): Prepared {
  const a = loaded.scenario.workload.arrivals;
  const trace = a.kind === 'trace' ? loadTrace(resolve(loaded.dir, a.file), `${loaded.file}: workload.arrivals.file: ${a.file}`) : undefined;
  return { scenario: loaded.scenario, file: loaded.file, trace };
}
