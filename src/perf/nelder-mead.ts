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
}

export interface MinimizeResult {
  readonly x: number[];
  readonly value: number;
  readonly iterations: number;
}

export function minimize(f: (x: readonly number[]) => number, x0: readonly number[], opts: MinimizeOptions): MinimizeResult {
  const n = x0.length;
  let simplex: { x: number[]; v: number }[] = [{ x: [...x0], v: f(x0) }];
  for (let i = 0; i < n; i++) {
    const x = [...x0];
    x[i] += opts.step;
    simplex.push({ x, v: f(x) });
  }
  let iterations = 0;
  for (; iterations < opts.maxIterations; iterations++) {
    simplex.sort((a, b) => a.v - b.v);
    if (Math.abs(simplex[n].v - simplex[0].v) < opts.tolerance) break;
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
        const best = simplex[0].x;
        simplex = simplex.map((p, i) => {
          if (i === 0) return p;
          const x = p.x.map((xj, j) => best[j] + 0.5 * (xj - best[j]));
          return { x, v: f(x) };
        });
      }
    }
  }
  simplex.sort((a, b) => a.v - b.v);
  return { x: simplex[0].x, value: simplex[0].v, iterations };
}
