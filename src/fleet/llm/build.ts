import { makeSampler } from '../../engine/distributions.ts';
import { stream } from '../../engine/random.ts';
import type { Simulator } from '../../engine/sim.ts';
import { inFile } from '../../util/in-file.ts';
import { excerpt } from '../../util/excerpt.ts';
import { resolveInScope, scopeOfPrepared } from '../../util/paths.ts';
import { scaledCount } from '../../util/scaled-count.ts';
import { MAX_OPEN_SESSIONS, isModelConfigPath, type FleetSpec, type ServedSpec, type TierSpec } from '../schema.ts';
import type { ControlSpec } from '../control/schema.ts';
import type { Trace } from '../../workload/trace.ts';
import { buildStepModel, scaledStepModel, type StepModel } from '../../perf/step.ts';
import { speculativeStep } from './speculative.ts';
import { buildPowerModel, cappedStepModel, type PowerModel } from '../../perf/power.ts';
import { replicaScheduler, type SchedulerDefaults } from '../../perf/calibration.ts';
import { checkEngineChoice, DEFAULT_ENGINE, resolveEngine, withAllReduceFusion } from '../../perf/profiles.ts';
import { UserError } from '../../errors.ts';
import { getGpu, getModel } from '../../perf/lookup.ts';
import { checkTensorParallel } from '../../perf/hardware.ts';
import { checkKvDtype, checkWeightDtype, defaultKvDtype, withFp8Scaling } from '../../perf/dtype.ts';
import { loadHfConfig } from '../../perf/hf-config.ts';
import { weightDtypeFor } from '../../perf/checkpoint-dtype.ts';
import type { ModelSpec } from '../../perf/models.ts';
import { checkAttentionSplit, checkExpertParallel, checkMlpSplit, DEFAULT_MEMORY_FRACTION, MORE_GPUS_ADVICE } from '../../perf/memory.ts';
import type { RequestPool } from '../request-pool.ts';
import type { RequestSink } from '../stations/network.ts';
import { ServiceTier, tierFaultStream } from '../stations/tier.ts';
import { Cluster } from './cluster.ts';
import { FleetMetrics } from './metrics.ts';
import { FleetPipeline, type ModelRoute, type RegionTiers } from './pipeline.ts';
import { ReasoningBook, ReasoningDraw } from './reasoning.ts';
import { TIER_KINDS } from './stages.ts';
import { TokenSource } from './tokens.ts';
import { SessionBook, conversationKinds } from './sessions.ts';
import { RateLimiter, UserPopulation } from './users.ts';
import { makeReplicas, type GpuCluster } from './replicas.ts';
import { armOf, initialReplicas, replicasToAllocate, versionStep } from '../control/alloc.ts';
import { SlotPool } from '../gpu/slot-pool.ts';
import { installClasses } from './class-setup.ts';
import { buildPools, resolvePools, type DisaggregatedModel } from './disaggregated-build.ts';

/** A served model resolved against the catalogs: its architecture and step-time model. */
export interface ServedModel {
  name: string;
  spec: ServedSpec;
  model: ModelSpec;
  step: StepModel;
  /** what its GPUs draw (perf/power.ts); under a power cap `step` is already the capped one */
  power: PowerModel;
  /** the engine profile's scheduler defaults overlaid by the scenario's batching */
  batching: Required<Omit<ServedSpec['batching'], 'kv_admission'>> & Pick<SchedulerDefaults, 'kv_admission' | 'admission_hold' | 'decode_run_steps' | 'async_scheduling'>;
  /** Replicas in the full fleet, and per region after scaling. */
  replicasFull: number;
  replicasPerRegion: number[];
}

export interface BuiltFleet {
  pipeline: FleetPipeline;
  metrics: FleetMetrics;
  tiers: ServiceTier[];
  /** tierCounts[regionIndex][kind]: instances simulated */
  regionNames: string[];
  served: ServedModel[];
  gpuClusters: GpuCluster[];
  users: UserPopulation;
  /** Arm B clusters of models under a canary or A/B deploy (control plane), by model name; all start switched off. */
  armClusters: Record<string, GpuCluster[]>;
  /** Models served by separate prefill and decode pools (disaggregation), by model name. */
  disaggregated: Record<string, DisaggregatedModel>;
}

/** The scenario path of a served model's field `key` (`fleet.models.<name>.<key>`). */
export const modelField = (name: string) => (key: string) => `fleet.models.${name}.${key}`;

/** A served model's architecture: its catalog entry, or its config.json. */
export function servedArchitecture(name: string, spec: ServedSpec, prep: Pick<FleetInput, 'file' | 'dir' | 'roots'>, field: (key: string) => string = modelField(name)): ModelSpec {
  // A config.json path is confined like every file a scenario names (util/paths.ts).
  const model = isModelConfigPath(spec.model)
    ? loadHfConfig(resolveInScope(scopeOfPrepared(prep), spec.model, `${prep.file}: ${field('model')}`))
    : getModel(spec.model, field('model'));
  return withFp8Scaling(model, spec.fp8_scaling);
}

/**
 * Resolves a served model's architecture (catalog id or config.json) and step model. `field`
 * names the scenario path of each of its settings in messages (a disaggregated pool's own are
 * under its model's `disaggregation`: disaggregated.ts poolField).
 */
export function resolveServed(name: string, spec: ServedSpec, prep: Pick<FleetInput, 'file' | 'dir' | 'roots'>, f: FleetSpec, field: (key: string) => string = modelField(name)): ServedModel {
  const model = servedArchitecture(name, spec, prep, field);
  const gpu = getGpu(spec.gpu, field('gpu'));
  checkTensorParallel(gpu, spec.tp, field('tp'));
  const dtype = weightDtypeFor(model, gpu, spec.dtype, field('dtype'));
  checkWeightDtype(gpu, dtype, field('dtype'));
  // a calibration profile is a file the scenario names: confined like the others
  const calibrationFile = spec.calibration === undefined ? undefined : resolveInScope(scopeOfPrepared(prep), spec.calibration, `${prep.file}: ${field('calibration')}`);
  const profile = withAllReduceFusion(resolveEngine(spec.engine, calibrationFile, field('engine')), spec.allreduce_fused_with_gemm);
  checkEngineChoice(spec.engine, calibrationFile, gpu, spec.allreduce_fused_with_gemm, { engine: field('engine'), gpu: field('gpu'), fused: field('allreduce_fused_with_gemm') });
  const kvDtype = spec.kv_dtype ?? defaultKvDtype(dtype, profile.kv_cache_dtype);
  checkKvDtype(gpu, kvDtype, spec.kv_dtype === undefined ? `${field('dtype')} (the engine's default KV-cache dtype)` : field('kv_dtype'));
  if (spec.gpu_memory_utilization !== undefined && spec.kv_cache_free_gpu_mem_fraction !== undefined) {
    throw new UserError(`${field('kv_cache_free_gpu_mem_fraction')}: expected it or gpu_memory_utilization (TensorRT-LLM's memory rule or vLLM's), not both`);
  }
  const memory = { gpuMemoryUtilization: spec.gpu_memory_utilization, kvCacheFreeMemoryFraction: spec.kv_cache_free_gpu_mem_fraction };
  // a layout the model does not allow is tp's or ep's to change, whatever fieldToChange would name
  // for a model that does not fit (ep 2 on a dense model was reported as gpu_memory_utilization's)
  inFile(field('tp'), () => checkAttentionSplit(model, spec.tp));
  // a config file's MLP width may not split where its heads do (the catalog's split over every tp they allow), as perf --model-config refuses
  if (isModelConfigPath(spec.model)) inFile(field('tp'), () => checkMlpSplit(model, spec.tp, `intermediate_size of ${field('model')} ${excerpt(spec.model)}`));
  inFile(field('ep'), () => checkExpertParallel(model, spec.tp, spec.ep));
  let step: StepModel;
  try {
    step = buildStepModel({ model, gpu, tp: spec.tp, ep: spec.ep, dtype, kvDtype, calibration: profile, ...memory });
  } catch (e) {
    // a model that does not fit its GPUs: name the scenario field to change
    if (e instanceof UserError) throw new UserError(`${field(fieldToChange(spec))}: ${e.message.replace(MORE_GPUS_ADVICE, scenarioAdvice(spec, field))}`);
    throw e;
  }
  if (spec.speculative) step = speculativeStep({ model, gpu, tp: spec.tp, ep: spec.ep, dtype, kvDtype, calibration: profile, ...memory }, spec.speculative, field('speculative'));
  const power = buildPowerModel(step, gpu, spec.power_cap_w, field('power_cap_w'));
  step = cappedStepModel(step, power);
  // after the power cap: the margin is on the time the capped GPU takes
  if (spec.step_time_factor !== undefined) step = scaledStepModel(step, spec.step_time_factor);
  const b = spec.batching;
  const defaults = replicaScheduler(profile, step.dataParallelGroups, gpu);
  const chunked_prefill = b.chunked_prefill ?? defaults.chunked_prefill;
  if (chunked_prefill) checkChunkedPrefillEngine(defaults, spec.engine ?? spec.calibration ?? DEFAULT_ENGINE, field('batching.chunked_prefill'));
  const batching = {
    max_num_seqs: b.max_num_seqs ?? defaults.max_num_seqs,
    max_batched_tokens: b.max_batched_tokens ?? defaults.max_batched_tokens,
    chunked_prefill,
    max_waiting: b.max_waiting,
    prefix_caching: b.prefix_caching ?? true,
    // the engine's KV admission (TensorRT-LLM reserves a request's whole output), or the scenario's:
    // NVIDIA's MLPerf harness ran TensorRT-LLM with MAX_UTILIZATION (docs/step-model.md, the knee)
    kv_admission: b.kv_admission ?? defaults.kv_admission,
    // the engine's router holding prompts back from a running batch (TGI): not a scenario key either
    admission_hold: defaults.admission_hold,
    // the engine's multi-step scheduling (vLLM 0.6): not a scenario key, nor with chunked prefill
    // (checkChunkedPrefillEngine)
    decode_run_steps: defaults.decode_run_steps ?? 1,
    // the engine planning a step while the one before runs (vLLM from 0.14): not a scenario key
    async_scheduling: defaults.async_scheduling ?? false,
  };
  if (batching.chunked_prefill && batching.max_batched_tokens < batching.max_num_seqs) {
    throw new UserError(`${field('batching.max_batched_tokens')}: ${batching.max_batched_tokens} is below max_num_seqs ${batching.max_num_seqs}; with chunked prefill every running sequence needs a token per step`);
  }
  const replicasFull = spec.gpus / step.gpus;
  const replicasPerRegion = Object.values(f.regions).map((r) => scaledCount(replicasFull, r.capacity_share, f.scale));
  return { name, spec, model, step, power, batching, replicasFull, replicasPerRegion };
}

/**
 * Chunked prefill turned on for an engine scheduled without it: vLLM 0.6's multi-step runs and TGI
 * 2.x's hold on waiting prompts are modelled only between prefill-only passes (GpuReplica), and were
 * dropped without a word.
 */
function checkChunkedPrefillEngine(defaults: SchedulerDefaults, engine: string, field: string): void {
  const steps = defaults.decode_run_steps ?? 1;
  if (steps > 1) {
    throw new UserError(`${field}: expected false with engine ${engine}, whose multi-step runs of ${steps} decode steps are modelled without chunked prefill (as vLLM 0.6 ran them); engine vllm-v0 schedules every step, vllm chunks prompts`);
  }
  if (defaults.admission_hold !== undefined) {
    throw new UserError(`${field}: expected false with engine ${engine}, whose hold on waiting prompts (TGI 2.x's router) is modelled without chunked prefill; TGI 3, which chunks prompts, is engine vllm`);
  }
}

/** memory.ts's advice to a model that does not fit, in the scenario's fields rather than perf's flags (it said --tp). */
function scenarioAdvice(spec: ServedSpec, field: (key: string) => string): string {
  return `use more GPUs (${field(spec.ep > 1 ? 'ep' : 'tp')}) or a smaller dtype (${field('dtype')})`;
}

/** The scenario field to change when a model does not fit its GPUs: a memory fraction set below its default, else ep or tp. */
function fieldToChange(spec: ServedSpec): string {
  if ((spec.gpu_memory_utilization ?? DEFAULT_MEMORY_FRACTION) < DEFAULT_MEMORY_FRACTION) return 'gpu_memory_utilization';
  if ((spec.kv_cache_free_gpu_mem_fraction ?? DEFAULT_MEMORY_FRACTION) < DEFAULT_MEMORY_FRACTION) return 'kv_cache_free_gpu_mem_fraction';
  return spec.ep > 1 ? 'ep' : 'tp';
}

function cumulative(xs: number[]): Float64Array {
  const out = new Float64Array(xs.length);
  let acc = 0;
  xs.forEach((x, i) => (out[i] = acc += x));
  return out;
}

/** What building a fleet reads of a prepared scenario (scenario/prepare.ts): the specs, where its files are, token traces. */
export interface FleetInput {
  scenario: { fleet?: FleetSpec; control?: ControlSpec; warmup_s: number; limits: { max_queue: number } };
  /** The scenario file, for messages; `dir` and `roots` confine the files it names (util/paths.ts). */
  file: string;
  dir?: string;
  roots?: readonly string[];
  /** Token-length traces of served models, by model name. */
  tokenTraces?: Record<string, Trace>;
}

/**
 * Every served model and disaggregated pool resolved, in the scenario's order: what building the
 * fleet checks of them (an engine on a GPU it cannot run, tp over the heads, a model that does not
 * fit), which a sweep checks at each point before any run (experiment/sweep.ts checkPoints).
 */
export function resolveServedModels(prep: Pick<FleetInput, 'file' | 'dir' | 'roots'>, f: FleetSpec): { served: ServedModel[]; pools: ({ prefill: ServedModel; decode: ServedModel } | undefined)[] } {
  const served = Object.keys(f.models).map((n) => resolveServed(n, f.models[n], prep, f));
  const pools = served.map((s) => (s.spec.disaggregation ? resolvePools(s, f, (n, spec, field) => resolveServed(n, spec, prep, f, field)) : undefined));
  return { served, pools };
}

/** Builds every component of the fleet for one run. */
export function buildFleet(sim: Simulator, pool: RequestPool, sink: RequestSink, prep: FleetInput, seed: number): BuiltFleet {
  const sc = prep.scenario;
  const f = sc.fleet!;
  const warmup_ms = sc.warmup_s * 1000;
  const regionNames = Object.keys(f.regions);
  const modelNames = Object.keys(f.models);
  const metrics = new FleetMetrics(modelNames.length);
  const users = new UserPopulation(f.users.count, f.users.zipf_s, f.scale, stream(seed, 'fleet:users'));
  const { served, pools } = resolveServedModels(prep, f);

  // The pipeline is the output of every tier; created first, given its parts after.
  const regions: RegionTiers[] = regionNames.map(() => ({ tiers: [] }));
  const models: ModelRoute[] = [];
  const pipeline = new FleetPipeline(
    sim,
    pool,
    sink,
    {
      warmup_ms,
      authCacheHit: f.gateway.auth_cache_hit,
      authCacheTtl_ms: f.gateway.auth_cache_ttl_s * 1000,
      ragShare: f.chat_api.rag_share,
      sessionOps: f.chat_api.session_ops,
      moderationPre: f.moderation.pre,
      moderationPost: f.moderation.post,
      edgeIn: edgeSampler(f, seed, 'in'),
      edgeOut: f.return_path ? makeSampler(f.return_path.latency_ms, stream(seed, 'fleet:edge-out')) : edgeSampler(f, seed, 'out'),
      regionCum: cumulative(regionNames.map((r) => f.regions[r].traffic_share)),
      regionCapacity: regionNames.map((r) => f.regions[r].capacity_share),
      modelCum: cumulative(modelNames.map((m) => f.models[m].share)),
    },
    regions,
    models,
    users,
    metrics,
    stream(seed, 'fleet:pipeline'),
  );

  const tiers = buildTiers(sim, pool, sc, seed, pipeline, regions);
  if (f.classes) installClasses(f.classes, stream(seed, 'fleet:classes'), pipeline, tiers, pool);
  // A model whose stack cancels: the CPU tiers skip queued attempts whose client left (deadline-aware).
  pipeline.tiersCancel = modelNames.some((m) => f.models[m].cancel_on_disconnect === true);
  for (const t of tiers) t.deadlineAware = pipeline.tiersCancel;
    const parts: ClusterParts = { sim, sc, seed, pipeline, regionNames, slots: new SlotPool(), firstGlobal: 0, pool, pools, disaggregated: {} };
  const gpuClusters = buildModelRoutes(parts, prep, served, users, models);
  const armClusters = buildArms(parts, served, models);
  pipeline.indexReplicas();
  if (modelNames.some((m) => f.models[m].reasoning_tokens)) pipeline.reasoning = new ReasoningBook(metrics.models, modelNames.map((m) => f.models[m].reasoning_tokens !== undefined));
  return { pipeline, metrics, tiers, regionNames, served, gpuClusters, users, armClusters, disaggregated: parts.disaggregated };
}

/** The CPU tiers of every region (kinds in TIER_KINDS order), each added to its region's list too. */
function buildTiers(sim: Simulator, pool: RequestPool, sc: FleetInput['scenario'], seed: number, pipeline: FleetPipeline, regions: RegionTiers[]): ServiceTier[] {
  const f = sc.fleet!;
  const regionNames = Object.keys(f.regions);
  const warmup_ms = sc.warmup_s * 1000;
  const tiers: ServiceTier[] = [];
  const tierSpecs: Record<(typeof TIER_KINDS)[number], TierSpec> = {
    gateway: f.gateway,
    postgres: f.postgres,
    redis: f.redis,
    chat_api: f.chat_api,
    completions_api: f.completions_api,
    vector_db: f.vector_db,
    moderation: f.moderation,
    router: f.router,
  };
  regionNames.forEach((rname, r) => {
    const share = f.regions[rname].capacity_share;
    TIER_KINDS.forEach((kind, k) => {
      const spec = tierSpecs[kind];
      const name = regionNames.length > 1 ? `${rname}/${kind}` : kind;
      const servers = scaledCount(spec.instances, share, f.scale) * spec.concurrency;
      const queueLimit = Math.min(spec.queue_limit ?? sc.limits.max_queue, sc.limits.max_queue);
      const tier = new ServiceTier(sim, pool, r * TIER_KINDS.length + k, name, servers, makeSampler(spec.service_ms, stream(seed, `tier:${name}`)), queueLimit, spec.timeout_ms ?? Infinity, warmup_ms, pipeline,
        // a fleet tier routes nowhere (the pipeline moves its requests): the stream is never drawn
        stream(seed, `route:${name}`), stream(seed, tierFaultStream(rname, kind)));
      regions[r].tiers.push(tier);
      tiers.push(tier);
    });
  });

  return tiers;
}

/** What building GPU clusters needs; `firstGlobal` counts the replicas built so far (global indices). */
interface ClusterParts {
  sim: Simulator;
  sc: FleetInput['scenario'];
  seed: number;
  pipeline: FleetPipeline;
  regionNames: string[];
  slots: SlotPool;
  firstGlobal: number;
  pool: RequestPool;
  /** The prefill and decode pools of each disaggregated model (by model index), and what building them made. */
  pools: ({ prefill: ServedModel; decode: ServedModel } | undefined)[];
  disaggregated: Record<string, DisaggregatedModel>;
}

/** Every served model's clusters (one per region) and its route; returns the clusters. */
function buildModelRoutes(parts: ClusterParts, prep: FleetInput, served: ServedModel[], users: UserPopulation, models: ModelRoute[]): GpuCluster[] {
  const { sim, sc, seed, pipeline, regionNames, slots } = parts;
  const f = sc.fleet!;
  const modelNames = served.map((s) => s.name);
  const gpuClusters: GpuCluster[] = [];
  served.forEach((s, m) => {
    const clusters: Cluster[] = [];
    const pools = parts.pools[m];
    if (pools) {
      const built = buildPools(parts, parts.pool, pipeline, m, s, pools, gpuClusters);
      clusters.push(...built.clusters);
      parts.disaggregated[s.name] = built.model;
    } else regionNames.forEach((rname, r) => {
      // The control plane may run more replicas than configured (autoscaler max, surge, blue-green): allocated, switched off.
      const count = replicasToAllocate(sc.control, f, s.name, rname, s.replicasPerRegion[r]);
      const gc = makeReplicas(sim, s, count, pipeline, seed, regionNames.length > 1 ? `${s.name}/${rname}` : s.name, r, slots);
      const serving = initialReplicas(sc.control, f, s.name, rname, s.replicasPerRegion[r]);
      // Switched off until the control plane's pool boots them (the pool takes the hold over).
      for (let i = serving; i < count; i++) gc.views[i].hold('off');
      gpuClusters.push(gc);
      clusters.push(new Cluster(m, r, gc.replicas, gc.policy, parts.firstGlobal));
      parts.firstGlobal += count;
    });
    const spec = s.spec;
    const trace = prep.tokenTraces?.[s.name];
    const tokenSpec = 'trace' in spec.tokens ? { trace: trace!, scale_prompt: spec.tokens.scale_prompt, scale_output: spec.tokens.scale_output } : spec.tokens;
    const maxContext = Math.min(spec.max_context ?? Infinity, s.model.max_context);
    const rl = spec.rate_limit;
    const kinds = conversationKinds(spec, `fleet.models.${s.name}`);
    models.push({
      ...(kinds.length > 0 ? { sessions: new SessionBook(sim, kinds, stream(seed, `sessions:${s.name}`), maxContext, MAX_OPEN_SESSIONS, (slot) => pipeline.sendTurn(m, slot)) } : {}),
      name: s.name,
      embed: spec.kind === 'embed',
      chatShare: spec.chat_share,
      tokens: new TokenSource(tokenSpec, stream(seed, `tokens:${s.name}`), maxContext, spec.kind === 'embed', spec.reasoning_tokens ? new ReasoningDraw(spec.reasoning_tokens, stream(seed, `reasoning:${s.name}`)) : null, spec.max_output_tokens),
      limiter: rl ? new RateLimiter(users.count, rl.tokens_per_min ?? Infinity, rl.requests_per_min ?? Infinity) : undefined,
      spillTo: spec.router.spill_to ? modelNames.indexOf(spec.router.spill_to) : -1,
      spillWaiting: spec.router.spill_waiting_per_replica ?? Infinity,
      clusters,
      requestOverheadMs: s.step.requestOverheadMs,
      prefixCaching: s.batching.prefix_caching,
      cancelOnDisconnect: spec.cancel_on_disconnect ?? false,
      disaggregated: parts.disaggregated[s.name]?.route,
    });
  });
  return gpuClusters;
}

/** Arm B of every model under a canary or A/B deploy, by model name. */
function buildArms(parts: ClusterParts, served: ServedModel[], models: ModelRoute[]): Record<string, GpuCluster[]> {
  const { sim, sc, seed, pipeline, regionNames, slots } = parts;
  // Arm B of a canary or A/B deploy: the same model as another version (its own replicas, switched off until the deploy starts).
  const armClusters: Record<string, GpuCluster[]> = {};
  served.forEach((s, m) => {
    const d = armOf(sc.control, s.name);
    if (!d) return;
    const sv: ServedModel = { ...s, step: versionStep(s.step, d.version) };
    const gcs: GpuCluster[] = [];
    const clusters: Cluster[] = [];
    regionNames.forEach((rname, r) => {
      const count = s.replicasPerRegion[r];
      const name = `${regionNames.length > 1 ? `${s.name}/${rname}` : s.name}@b`;
      const gc = makeReplicas(sim, sv, count, pipeline, seed, name, r, slots);
      for (let i = 0; i < count; i++) gc.views[i].hold('off');
      gcs.push(gc);
      clusters.push(new Cluster(m, r, gc.replicas, gc.policy, parts.firstGlobal));
      parts.firstGlobal += count;
    });
    armClusters[s.name] = gcs;
    models[m].arm = { clusters, share: 0, byUser: d.split === 'user', errorRate: d.version.error_rate, rng: stream(seed, `control:arm:${s.name}`) };
  });
  return armClusters;
}

function edgeSampler(f: FleetSpec, seed: number, dir: 'in' | 'out') {
  const cdn = makeSampler(f.cdn.latency_ms, stream(seed, `fleet:cdn-${dir}`));
  const lb = makeSampler(f.load_balancer.latency_ms, stream(seed, `fleet:lb-${dir}`));
  // CDN and load balancer are pure delays: one fused sample, no event of their own.
  return {
    mean: cdn.mean + lb.mean,
    scv: NaN,
    sample: () => cdn.sample() + lb.sample(),
  };
}
