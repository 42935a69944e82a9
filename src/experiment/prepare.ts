import { resolve } from 'node:path';
import type { LoadedScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { loadTrace, type Trace } from '../workload/trace.ts';

/** A validated scenario with its external inputs (traces) loaded once, shared by replications. */
export interface Prepared {
  scenario: Scenario;
  file: string;
  /** Directory of the scenario file: relative paths resolve from here. */
  dir?: string;
  trace?: Trace;
  /** Token-length traces of served models, by model name. */
  tokenTraces?: Record<string, Trace>;
}

export function prepare(loaded: LoadedScenario): Prepared {
  const sc = loaded.scenario;
  const a = sc.workload.arrivals;
  const trace = a.kind === 'trace' ? loadTrace(resolve(loaded.dir, a.file), `${loaded.file}: workload.arrivals.file: ${a.file}`) : undefined;
  const tokenTraces: Record<string, Trace> = {};
  const cache = new Map<string, Trace>();
  for (const [name, m] of Object.entries(sc.fleet?.models ?? {})) {
    if (!('trace' in m.tokens)) continue;
    const path = resolve(loaded.dir, m.tokens.trace);
    if (!cache.has(path)) cache.set(path, loadTrace(path, `${loaded.file}: fleet.models.${name}.tokens.trace: ${m.tokens.trace}`));
    tokenTraces[name] = cache.get(path)!;
  }
  return { scenario: sc, file: loaded.file, dir: loaded.dir, trace, tokenTraces };
}

/** The files a prepared scenario was read from (the scenario, its traces): no output may replace them. */
export function inputFiles(prep: Prepared): string[] {
  const sc = prep.scenario;
  const dir = prep.dir ?? process.cwd();
  const a = sc.workload.arrivals;
  const traces = [...(a.kind === 'trace' ? [a.file] : []), ...Object.values(sc.fleet?.models ?? {}).flatMap((m) => ('trace' in m.tokens ? [m.tokens.trace] : []))];
  return [prep.file, ...traces.map((t) => resolve(dir, t))];
}
