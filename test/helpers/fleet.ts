import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { prepared } from './scenario.ts';
import type { Prepared } from '../../src/scenario/prepare.ts';

type FleetInput = NonNullable<ScenarioInput['fleet']>;
const tier = (instances: number, concurrency: number, mean: number) => ({
  instance: 'c6i.8xlarge',
  instances,
  concurrency,
  service_ms: { dist: 'exponential' as const, mean },
});

/** A small one-region fleet: Llama-2-7B on single A100s, generous CPU tiers. */
export function smallFleet(opts: { rate_per_s: number; duration_s?: number; warmup_s?: number; fleet?: Partial<FleetInput> } ): Prepared {
  const fleet: FleetInput = {
    users: { count: 1000, zipf_s: 0 },
    cdn: { latency_ms: { dist: 'constant', value: 10 } },
    load_balancer: { latency_ms: { dist: 'constant', value: 1 } },
    gateway: { ...tier(4, 64, 2), auth_cache_hit: 0.5 },
    chat_api: { ...tier(4, 256, 5), rag_share: 0.5 },
    completions_api: tier(4, 256, 5),
    moderation: { ...tier(4, 32, 10), instance: 'g5.2xlarge' },
    router: tier(2, 64, 1),
    redis: { ...tier(2, 1, 0.2), instance: 'r6gd.16xlarge' },
    postgres: { ...tier(1, 50, 1), instance: 'db.r6g.16xlarge' },
    vector_db: { ...tier(2, 32, 3), instance: 'r6gd.16xlarge' },
    s3: { stored_gb: 1000 },
    models: {
      small: smallModel(),
      embed: embedModel(),
    },
    ...opts.fleet,
  };
  return prepared({
    name: 'small-fleet',
    duration_s: opts.duration_s ?? 120,
    warmup_s: opts.warmup_s ?? 20,
    workload: { arrivals: { kind: 'poisson', rate_per_s: opts.rate_per_s } },
    fleet,
  });
}

/**
 * Llama-2-7B on 4 A100s: 70% of requests, 60% of them through the chat API. On the 2023 vLLM
 * stack's profile: the fault and control-plane tests size their loads against its capacity, and
 * they test mechanics, which must not move when the default engine profile is refitted.
 */
export function smallModel() {
  return {
    model: 'llama-2-7b', gpu: 'a100-80gb', tp: 1, engine: 'vllm-2023', instance: 'p4de.24xlarge', gpus: 4, share: 0.7, chat_share: 0.6,
    // the scheduler these tests were written with (that profile's own default has chunking off)
    batching: { max_num_seqs: 256, max_batched_tokens: 8192, chunked_prefill: true },
    tokens: { prompt: { dist: 'uniform' as const, min: 100, max: 900 }, output: { dist: 'uniform' as const, min: 20, max: 200 } },
  };
}

/** An embedding encoder on 2 T4s: 30% of requests. */
export function embedModel() {
  return {
    model: 'text-embedding-ada-002', gpu: 't4', tp: 1, instance: 'g4dn.12xlarge', gpus: 2, share: 0.3, chat_share: 0, kind: 'embed' as const,
    tokens: { prompt: { dist: 'constant' as const, value: 300 }, output: { dist: 'constant' as const, value: 1 } },
  };
}

/**
 * A scenario file's text: one Llama model on one A100 behind generous CPU tiers (about 19.6 requests/s
 * of 512-token prompts and 64-token answers), warm-up 2 s; `model`: YAML lines under the model,
 * `classes`: under fleet.
 */
export function oneModelFleetYaml(o: { name?: string; rate_per_s: number; duration_s: number; model?: string; classes?: string }): string {
  return `name: ${o.name ?? 'classes-eleventh'}
seed: 1
duration_s: ${o.duration_s}
warmup_s: 2
workload:
  arrivals: { kind: poisson, rate_per_s: ${o.rate_per_s} }
fleet:
  users: { count: 1000 }
  cdn: { latency_ms: { dist: constant, value: 10 } }
  load_balancer: { latency_ms: { dist: constant, value: 1 } }
  gateway: { instance: c6i.8xlarge, instances: 2, concurrency: 256, service_ms: { dist: constant, value: 2 } }
  chat_api: { instance: c6i.16xlarge, instances: 2, concurrency: 512, service_ms: { dist: constant, value: 3 }, session_ops: 0 }
  completions_api: { instance: c6i.12xlarge, instances: 1, concurrency: 64, service_ms: { dist: constant, value: 3 } }
  moderation: { instance: g5.2xlarge, instances: 1, concurrency: 64, service_ms: { dist: constant, value: 1 }, pre: false, post: false }
  router: { instance: r6i.4xlarge, instances: 1, concurrency: 256, service_ms: { dist: constant, value: 0.5 } }
  redis: { instance: r6gd.16xlarge, instances: 1, concurrency: 64, service_ms: { dist: constant, value: 0.2 } }
  postgres: { instance: db.r6g.16xlarge, instances: 1, concurrency: 64, service_ms: { dist: constant, value: 1 } }
  vector_db: { instance: r6gd.16xlarge, instances: 1, concurrency: 32, service_ms: { dist: constant, value: 3 } }
  s3: { stored_gb: 100 }
  models:
    m:
      model: llama-2-7b
      gpu: a100-80gb
      tp: 1
      instance: p4de.24xlarge
      gpus: 1
      share: 1
      tokens: { prompt: { dist: constant, value: 512 }, output: { dist: constant, value: 64 } }
${o.model ?? ''}
${o.classes ?? ''}
`;
}
