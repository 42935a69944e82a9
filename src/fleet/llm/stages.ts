/** The stages of a request's path; by_stage latencies are reported under these names. */
export const STAGE_NAMES = [
  'edge_in', // CDN + load balancer, client to gateway
  'gateway', // API gateway: TLS, token counting, auth check
  'auth', // PostgreSQL user lookup (auth-cache misses)
  'rate_limit', // Redis rate-limit check
  'api_queue', // waiting for a Chat/Completions API worker
  'session', // Redis session state
  'rag', // vector DB retrieval (a share of chat requests)
  'moderation_pre', // moderation before generation
  'router', // model router
  'gpu_ttft', // GPU replica: queue, prefill, first token
  'gpu_decode', // GPU replica: remaining tokens
  'moderation_post', // moderation after generation
] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export const S = Object.fromEntries(STAGE_NAMES.map((n, i) => [n, i])) as { [K in StageName]: number };

/** Tier kinds within a region (tier id = region * TIER_KINDS.length + kind). */
export const TIER_KINDS = ['gateway', 'postgres', 'redis', 'chat_api', 'completions_api', 'vector_db', 'moderation', 'router'] as const;
export type TierKind = (typeof TIER_KINDS)[number];
export const T = Object.fromEntries(TIER_KINDS.map((n, i) => [n, i])) as { [K in TierKind]: number };

