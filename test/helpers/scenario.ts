import { validateScenario } from '../../src/scenario/load.ts';
import type { Prepared } from '../../src/scenario/prepare.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';

/** A validated in-memory scenario (no file), ready for simulate() / runReplications(). */
export function prepared(doc: ScenarioInput): Prepared {
  return { scenario: validateScenario(structuredClone(doc), 'test-scenario'), file: 'test-scenario' };
}

/** One station with exponential or constant service fed by Poisson arrivals. */
export function singleStation(opts: {
  rate_per_s: number;
  servers: number;
  service: NonNullable<ScenarioInput['topology']>['stations'][string]['service_ms'];
  duration_s: number;
  warmup_s: number;
  extra?: Partial<NonNullable<ScenarioInput['topology']>['stations'][string]>;
}): Prepared {
  return prepared({
    name: 'single',
    duration_s: opts.duration_s,
    warmup_s: opts.warmup_s,
    workload: { arrivals: { kind: 'poisson', rate_per_s: opts.rate_per_s } },
    topology: { entry: 's', stations: { s: { servers: opts.servers, service_ms: opts.service, ...opts.extra } } },
  });
}
