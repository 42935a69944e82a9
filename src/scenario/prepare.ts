import { resolve } from 'node:path';
import type { LoadedScenario } from './load.ts';
import type { Scenario } from './schema.ts';
import { resolveInScope, scopeOfPrepared } from '../util/paths.ts';
import { isModelConfigPath } from '../fleet/schema.ts';
import { excerpt } from '../util/excerpt.ts';
import { loadTrace, type Trace } from '../workload/trace.ts';
import { arrivalBudgetProblem } from '../workload/arrival-budget.ts';
import { UserError } from '../errors.ts';

/** A validated scenario with its external inputs (traces) loaded once, shared by replications. */
export interface Prepared {
  scenario: Scenario;
  file: string;
  /** Directory of the scenario file: relative paths resolve from here. */
  dir?: string;
  /** Directories the files it names may come from (see util/paths.ts); default: `dir` alone. */
  roots?: readonly string[];
  trace?: Trace;
  /** Token-length traces of served models, by model name. */
  tokenTraces?: Record<string, Trace>;
  /** The scenarios its `extends:` chain read (see LoadedScenario). */
  bases?: readonly string[];
}

export function prepare(loaded: LoadedScenario): Prepared {
  const sc = loaded.scenario;
  const scope = scopeOfPrepared(loaded);
  const a = sc.workload.arrivals;
  const cache = new Map<string, Trace>();
  const traceAt = (path: string, field: string) => {
    const resolved = resolveInScope(scope, path, `${loaded.file}: ${field}`);
    if (!cache.has(resolved)) cache.set(resolved, loadTrace(resolved, `${loaded.file}: ${field}: ${excerpt(path)}`, sc.limits.max_memory_gb));
    return cache.get(resolved)!;
  };
  const trace = a.kind === 'trace' ? traceAt(a.file, 'workload.arrivals.file') : undefined;
  if (a.kind === 'trace' && a.loop) checkLoopPeriod(trace!, loaded.file);
  checkArrivalBudget(sc, loaded.file, trace);
  const tokenTraces: Record<string, Trace> = {};
  for (const [name, m] of Object.entries(sc.fleet?.models ?? {})) {
    // Model configs are read when the fleet is built (in each worker): refuse one outside the scope now.
    if (isModelConfigPath(m.model)) resolveInScope(scope, m.model, `${loaded.file}: fleet.models.${name}.model`);
    if ('trace' in m.tokens) tokenTraces[name] = traceAt(m.tokens.trace, `fleet.models.${name}.tokens.trace`);
  }
  return { scenario: sc, file: loaded.file, dir: scope.dir, roots: scope.roots, trace, tokenTraces, bases: loaded.bases };
}

/**
 * A looped trace repeats every span of its timestamps plus one mean gap: one whose requests all
 * share a timestamp has no period, and a 1 s cycle used to be invented for it (3 rows at t = 0
 * arrived at 3 requests/s, a single row at 1/s).
 */
function checkLoopPeriod(trace: Trace, file: string): void {
  if (trace.t_ms[trace.length - 1] > 0) return;
  const rows = trace.length === 1 ? 'its one request has' : `its ${trace.length.toLocaleString('en-US')} requests all have the same timestamp, so they have`;
  throw new UserError(`${file}: workload.arrivals.loop: expected a trace whose timestamps span some time to loop over; ${rows} no period to repeat (set loop: false, or give the rows distinct timestamps)`);
}

/**
 * Refuses (exit 2) a scenario whose arrivals alone exceed limits.max_events (arrivalBudgetProblem):
 * here with its trace once loaded, and again before a command runs (experiment/memory.ts checkMemory:
 * every point of a sweep up front), where trace arrivals are not counted.
 */
export function checkArrivalBudget(sc: Scenario, file: string, trace?: Trace): void {
  const problem = arrivalBudgetProblem({ arrivals: sc.workload.arrivals, scale: sc.fleet?.scale ?? 1, duration_s: sc.duration_s, max_events: sc.limits.max_events, trace });
  if (problem !== undefined) throw new UserError(`${file}: ${problem}`);
}

/**
 * The files a prepared scenario was read from (the scenario, the bases it extends, its traces, the
 * model configs and calibration profiles its served models name): no output may replace them. The
 * last two are read when the fleet is built, after the output directory is opened, so a report
 * directory holding one used to be emptied before it was read.
 */
export function inputFiles(prep: Prepared): string[] {
  const sc = prep.scenario;
  const dir = prep.dir ?? process.cwd();
  const a = sc.workload.arrivals;
  const named = Object.values(sc.fleet?.models ?? {}).flatMap((m) => [
    ...('trace' in m.tokens ? [m.tokens.trace] : []),
    ...(isModelConfigPath(m.model) ? [m.model] : []),
    ...(m.calibration !== undefined ? [m.calibration] : []),
  ]);
  return [prep.file, ...(prep.bases ?? []), ...[...(a.kind === 'trace' ? [a.file] : []), ...named].map((t) => resolve(dir, t))];
}
