// The replica benchmark's workload, written against a set of modules passed in rather than
// imported, so that bench:replica runs it on this checkout and bench:pair-replica on this one and
// another side by side (each side with its own GpuReplica, sketches and simulator).
// The workload: one Llama-2-70B replica, TP8 on A100-80GB, vLLM defaults, `requests` arriving
// Poisson at 2 requests/s, prompt and output lengths drawn (seeded) from the Azure 2023
// conversation trace; with `systemPromptTokens`, every prompt starts with one of those
// applications' system prompts (chosen uniformly, seeded).

// The modules are typed loosely (any): they may come from another checkout, whose types differ.
export interface WorkloadModules {
  Simulator: any;
  stream: (seed: number, name: string) => () => number;
  GpuReplica: any;
  VLLM_REPLICA_DEFAULTS: object;
  LatencyStats: any;
}

export interface WorkloadOptions {
  requests: number;
  rate_per_s: number;
  seed: number;
  step: unknown;
  trace: { length: number; promptTokens: ArrayLike<number>; outputTokens: ArrayLike<number> };
  systemPromptTokens?: readonly number[];
}

export interface WorkloadRun {
  wall_s: number;
  sim: any;
  replica: any;
  ttft: any;
  tpot: any;
  itl: any;
  e2e: any;
  completed: number;
  /** Sum of the TTFTs (ms): one number that moves when any first token moves. */
  ttftSum_ms: number;
}

export function runReplicaWorkload(m: WorkloadModules, o: WorkloadOptions): WorkloadRun {
  const sim = new m.Simulator();
  const submit_ms = new Float64Array(o.requests);
  const first_ms = new Float64Array(o.requests);
  const outTokens = new Int32Array(o.requests);
  // the inter-token sketch remembers runs of gaps in one bin where the checkout's sketch can (an unknown option is ignored)
  const ttft = new m.LatencyStats(), tpot = new m.LatencyStats(), e2e = new m.LatencyStats(), itl = new m.LatencyStats({ rememberRuns: true });
  let completed = 0, ttftSum_ms = 0;
  const listener = {
    firstToken(req: number, t: number) {
      first_ms[req] = t;
      ttft.add(t - submit_ms[req]);
      ttftSum_ms += t - submit_ms[req];
    },
    done(req: number, t: number) {
      completed++;
      e2e.add(t - submit_ms[req]);
      const n = outTokens[req];
      if (n > 1) tpot.add((t - first_ms[req]) / (n - 1));
    },
    rejected() {},
  };
  const replica = new m.GpuReplica(sim, o.step, { ...m.VLLM_REPLICA_DEFAULTS, max_waiting: o.requests }, listener);
  replica.itl = itl;
  const arrivals = m.stream(o.seed, 'bench:arrivals');
  const rows = m.stream(o.seed, 'bench:rows');
  const apps = m.stream(o.seed, 'bench:apps');
  const meanGap_ms = 1000 / o.rate_per_s;
  const system = o.systemPromptTokens;
  let next = 0;
  const hArrive = sim.on(() => {
    const i = next++;
    const row = Math.floor(rows() * o.trace.length);
    submit_ms[i] = sim.now_ms;
    outTokens[i] = Math.max(1, o.trace.outputTokens[row]);
    if (system) {
      const app = Math.floor(apps() * system.length);
      replica.submit(i, system[app] + o.trace.promptTokens[row], o.trace.outputTokens[row], app, system[app]);
    } else replica.submit(i, o.trace.promptTokens[row], o.trace.outputTokens[row]);
    if (next < o.requests) sim.after(-meanGap_ms * Math.log(1 - arrivals()), hArrive);
  });
  sim.at(0, hArrive);
  const t0 = performance.now();
  sim.run();
  const wall_s = (performance.now() - t0) / 1000;
  return { wall_s, sim, replica, ttft, tpot, itl, e2e, completed, ttftSum_ms };
}
