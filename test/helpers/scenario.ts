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

/**
 * A scenario file's text: one station of 16 servers at 80 requests/s for 100 s (warm-up 10 s), an
 * incident block's lines if given (`incident`, ending in a newline, or ''), and the faults given,
 * one a line of its faults list.
 */
export function oneStationWithFaults(name: string, incident: string, ...faults: string[]): string {
  return `name: ${name}
seed: 1
workload:
  arrivals: { kind: poisson, rate_per_s: 80 }
topology:
  entry: api
  stations:
    api:
      servers: 16
      service_ms: { dist: lognormal, mean: 120, p99: 600 }
      queue_limit: 200
      timeout_ms: 2000
duration_s: 100
warmup_s: 10
window_s: 5
${incident}faults:
${faults.map((f) => `  - ${f}\n`).join('')}`;
}
