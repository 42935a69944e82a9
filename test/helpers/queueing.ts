/** Closed-form queueing results used as test oracles. Rates per second, times in seconds. */

/** Erlang C: probability that an arrival waits in M/M/c with offered load a = lambda/mu (< c). */
export function erlangC(c: number, a: number): number {
  // Erlang B by the stable recurrence, then C = B / (1 - rho (1 - B)).
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  const rho = a / c;
  return b / (1 - rho * (1 - b));
}

/** Mean wait in queue of M/M/c. */
export function mmcMeanWait(c: number, lambda: number, mu: number): number {
  return erlangC(c, lambda / mu) / (c * mu - lambda);
}

/** Pollaczek-Khinchine mean wait of M/G/1 given E[S] and E[S^2]. */
export function pkMeanWait(lambda: number, es: number, es2: number): number {
  const rho = lambda * es;
  return (lambda * es2) / (2 * (1 - rho));
}

/** Is x inside [lo, hi]? With a message that says by how much it is not. */
export function inside(x: number, ci: [number, number] | undefined): boolean {
  return ci !== undefined && x >= ci[0] && x <= ci[1];
}
