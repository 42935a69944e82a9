/**
 * Least squares with lower bounds on the unknowns, solved exactly for the handful of unknowns the
 * calibration has: the optimum of a convex quadratic under bounds is the unconstrained optimum on
 * some set of free unknowns with the rest at their bounds, so try every set (2^n, n <= 8) and keep
 * the best feasible one. Deterministic, no iteration tolerance to tune.
 * A tiny ridge pulls directions the data cannot see (collinear columns) towards `prior`.
 */
export function boundedLeastSquares(
  A: readonly (readonly number[])[],
  b: readonly number[],
  lower: readonly number[],
  fixed: readonly boolean[],
  prior: readonly number[],
  ridge = 1e-8,
): number[] {
  const n = prior.length;
  const free: number[] = [];
  for (let j = 0; j < n; j++) if (!fixed[j]) free.push(j);
  if (free.length > 12) throw new Error('boundedLeastSquares: too many unknowns for exhaustive active sets');
  const scale = prior.map((_, j) => Math.sqrt(A.reduce((s, row) => s + row[j] * row[j], 0)) || 1);

  let best: number[] = prior.slice();
  let bestObj = Infinity;
  for (let mask = 0; mask < 1 << free.length; mask++) {
    const x = prior.slice();
    const solveFor: number[] = [];
    free.forEach((j, k) => {
      if (mask & (1 << k)) x[j] = lower[j];
      else solveFor.push(j);
    });
    if (solveFor.length) {
      // residual target after the known unknowns
      const r = b.map((bi, i) => bi - A[i].reduce((s, a, j) => (solveFor.includes(j) ? s : s + a * x[j]), 0));
      const m = solveFor.length;
      const M = Array.from({ length: m }, () => new Array<number>(m + 1).fill(0));
      for (let p = 0; p < m; p++) {
        const jp = solveFor[p];
        for (let q = 0; q < m; q++) {
          const jq = solveFor[q];
          let s = 0;
          for (let i = 0; i < A.length; i++) s += A[i][jp] * A[i][jq];
          M[p][q] = s;
        }
        let rhs = 0;
        for (let i = 0; i < A.length; i++) rhs += A[i][jp] * r[i];
        const lam = ridge * scale[jp] * scale[jp];
        M[p][p] += lam;
        M[p][m] = rhs + lam * prior[jp];
      }
      const sol = gaussSolve(M);
      if (!sol) continue;
      let feasible = true;
      solveFor.forEach((j, p) => {
        x[j] = sol[p];
        if (!(sol[p] >= lower[j] - 1e-12 * Math.max(1, Math.abs(lower[j])))) feasible = false;
      });
      if (!feasible) continue;
    }
    let obj = 0;
    for (let i = 0; i < A.length; i++) {
      const e = A[i].reduce((s, a, j) => s + a * x[j], 0) - b[i];
      obj += e * e;
    }
    for (const j of free) obj += ridge * scale[j] * scale[j] * (x[j] - prior[j]) ** 2;
    // strict improvement beyond rounding noise keeps the first of equal candidates (determinism)
    if (bestObj === Infinity || obj < bestObj - 1e-15 * Math.max(1, bestObj)) {
      bestObj = obj;
      best = x;
    }
  }
  return best;
}

/** Gaussian elimination with partial pivoting on an augmented m x (m+1) matrix; null if singular. */
function gaussSolve(M: number[][]): number[] | null {
  const m = M.length;
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    if (Math.abs(M[piv][c]) < 1e-300) return null;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < m; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= m; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    let s = M[r][m];
    for (let k = r + 1; k < m; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}
