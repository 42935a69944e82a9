/**
 * Nelder-Mead simplex minimisation (Nelder & Mead 1965, with the standard coefficients: reflect 1,
 * expand 2, contract 1/2, shrink 1/2). The step model is a sum of smooth maxima, not linear in its
 * factors, and has a dozen of them: a derivative-free simplex is enough and keeps the fit ours.
 */
export interface MinimizeOptions {
  /** initial simplex edge per coordinate */
  readonly step: number;
  readonly maxIterations: number;
  /** stop when the simplex's values differ by less than this */
  readonly tolerance: number;
  /**
   * Wall-clock time (ms since the epoch) after which no new evaluation starts: the best point
   * evaluated so far is returned. An evaluation can take seconds (a fit that simulates serving
   * runs), so the bound is checked before each one, not per iteration.
   */
  readonly deadline_ms?: number;
  /** the clock the deadline is read on (default Date.now; tests pass their own) */
  readonly clock?: () => number;
}

export interface MinimizeResult {
  readonly x: number[];
  readonly value: number;
  readonly iterations: number;
  /** why it stopped: the simplex converged, the iterations ran out, or the deadline passed */
  readonly stopped: 'converged' | 'iterations' | 'deadline';
}

/** Thrown by the bounded objective when the deadline has passed; never leaves minimize. */
class DeadlinePassed extends Error {}

export function minimize(objective: (x: readonly number[]) => number, x0: readonly number[], opts: MinimizeOptions): MinimizeResult {
  const n = x0.length;
  const clock = opts.clock ?? Date.now;
  const deadline_ms = opts.deadline_ms ?? Infinity;
  // every point evaluated, so that a stop at the deadline returns the best of them
  let best = { x: [...x0], v: objective(x0) };
  const f = (x: number[]): number => {
    if (clock() > deadline_ms) throw new DeadlinePassed();
    const v = objective(x);
    if (v < best.v) best = { x, v };
    return v;
  };
  let iterations = 0;
  try {
    const simplex = initialSimplex(f, x0, best.v, opts.step);
    for (; iterations < opts.maxIterations; iterations++) {
      simplex.sort((a, b) => a.v - b.v);
      if (Math.abs(simplex[n].v - simplex[0].v) < opts.tolerance) return { ...minimum(simplex), iterations, stopped: 'converged' };
      iterate(f, simplex);
    }
    return { ...minimum(simplex), iterations, stopped: 'iterations' };
  } catch (e) {
    if (!(e instanceof DeadlinePassed)) throw e;
    return { x: best.x, value: best.v, iterations, stopped: 'deadline' };
  }
}

type Vertex = { x: number[]; v: number };

function initialSimplex(f: (x: number[]) => number, x0: readonly number[], v0: number, step: number): Vertex[] {
  const simplex: Vertex[] = [{ x: [...x0], v: v0 }];
  for (let i = 0; i < x0.length; i++) {
    const x = [...x0];
    x[i] += step;
    simplex.push({ x, v: f(x) });
  }
  return simplex;
}

function minimum(simplex: Vertex[]): { x: number[]; value: number } {
  simplex.sort((a, b) => a.v - b.v);
  return { x: simplex[0].x, value: simplex[0].v };
}

/** One Nelder-Mead step on a sorted simplex, in place: reflect, expand, contract or shrink its worst vertex. */
function iterate(f: (x: number[]) => number, simplex: Vertex[]): void {
  const n = simplex.length - 1;
  const centroid = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j] += simplex[i].x[j] / n;
  const worst = simplex[n];
  const along = (t: number) => centroid.map((c, j) => c + t * (worst.x[j] - c));
  const reflected = along(-1);
  const vr = f(reflected);
  if (vr < simplex[0].v) {
    const expanded = along(-2);
    const ve = f(expanded);
    simplex[n] = ve < vr ? { x: expanded, v: ve } : { x: reflected, v: vr };
  } else if (vr < simplex[n - 1].v) {
    simplex[n] = { x: reflected, v: vr };
  } else {
    const contracted = vr < worst.v ? along(-0.5) : along(0.5);
    const vc = f(contracted);
    if (vc < Math.min(vr, worst.v)) {
      simplex[n] = { x: contracted, v: vc };
    } else {
      const bestX = simplex[0].x;
      for (let i = 1; i <= n; i++) {
        const x = simplex[i].x.map((xj, j) => bestX[j] + 0.5 * (xj - bestX[j]));
        simplex[i] = { x, v: f(x) };
      }
    }
  }
}
