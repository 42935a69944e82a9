import { z } from 'zod';
import type { FaultKind } from './types.ts';
import { gpuFault, gpuFaultSchema } from './kinds/gpu-fault.ts';
import { gpuClusterFailure, gpuClusterFailureSchema } from './kinds/gpu-cluster-failure.ts';
import { regionOutage, regionOutageSchema } from './kinds/region-outage.ts';
import { redisFailover, redisFailoverSchema } from './kinds/redis-failover.ts';
import { rateLimitMisconfig, rateLimitMisconfigSchema } from './kinds/rate-limit-misconfig.ts';
import { kvFragmentation, kvFragmentationSchema } from './kinds/kv-fragmentation.ts';
import { dbOverload, dbOverloadSchema } from './kinds/db-overload.ts';
import { discoveryFailure, discoveryFailureSchema } from './kinds/discovery-failure.ts';
import { latency, latencySchema } from './kinds/latency.ts';
import { errorRate, errorRateSchema } from './kinds/error-rate.ts';
import { capacity, capacitySchema } from './kinds/capacity.ts';
import { partition, partitionSchema } from './kinds/partition.ts';
import { spotReclaim, spotReclaimSchema } from './kinds/spot-reclaim.ts';
import { kvLink, kvLinkSchema } from './kinds/kv-link.ts';

/** One line per fault kind: a new kind is one file in kinds/ plus a line here. */
export const FaultSchema = z.discriminatedUnion('kind', [
  gpuFaultSchema,
  gpuClusterFailureSchema,
  regionOutageSchema,
  redisFailoverSchema,
  rateLimitMisconfigSchema,
  kvFragmentationSchema,
  dbOverloadSchema,
  discoveryFailureSchema,
  latencySchema,
  errorRateSchema,
  capacitySchema,
  partitionSchema,
  spotReclaimSchema,
  kvLinkSchema,
]);
export type FaultSpec = z.infer<typeof FaultSchema>;

export const FAULT_KINDS: Readonly<Record<FaultSpec['kind'], FaultKind<never>>> = {
  'gpu-fault': gpuFault,
  'gpu-cluster-failure': gpuClusterFailure,
  'region-outage': regionOutage,
  'redis-failover': redisFailover,
  'rate-limit-misconfig': rateLimitMisconfig,
  'kv-fragmentation': kvFragmentation,
  'db-overload': dbOverload,
  'discovery-failure': discoveryFailure,
  latency,
  'error-rate': errorRate,
  capacity,
  partition,
  'spot-reclaim': spotReclaim,
  'kv-link': kvLink,
} as unknown as Readonly<Record<FaultSpec['kind'], FaultKind<never>>>;
