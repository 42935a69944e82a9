import { getInstance, INSTANCES, instancesCarrying, matchingInstance, type PriceSet } from '../cost/prices.ts';
import { GPUS, type GpuId } from '../perf/hardware.ts';
import { gpusPerReplica } from '../fleet/schema.ts';
import { excerpt } from '../util/excerpt.ts';
import { isOverridden } from './document.ts';
import type { FleetSpec } from '../fleet/schema.ts';

/**
 * A served model's hardware is one choice: the GPU the step model simulates and the instance the
 * bill charges come together from the catalogs (perf/hardware.ts, cost/prices.ts).
 *
 * Before validation, on the document: a model that names its GPU but no instance gets the
 * matching instance (matchingInstance), and so does one whose GPU was chosen by a flag (`--set`,
 * `--vary`) while its instance came from the file; otherwise a changed GPU would keep the old
 * instance's price. After validation, a GPU and an instance that do not match are refused.
 */

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Fills in the instance of each model whose GPU alone was given or chosen by a flag (in place). */
export function pairHardware(doc: unknown): void {
  if (!isObj(doc) || !isObj(doc.fleet) || !isObj(doc.fleet.models)) return;
  const prices = isObj(doc.fleet.prices) ? doc.fleet.prices : {};
  const priceSet: PriceSet = prices.set === 'current' ? 'current' : '2024';
  const priced = isObj(prices.overrides) ? prices.overrides : {};
  for (const [name, m] of Object.entries(doc.fleet.models)) {
    if (!isObj(m) || typeof m.gpu !== 'string') continue;
    const tp = typeof m.tp === 'number' ? m.tp : 1;
    const at = (field: string) => ['fleet', 'models', name, field];
    const chosenByFlag = isOverridden(doc, at('gpu')) && !isOverridden(doc, at('instance'));
    const current = typeof m.instance === 'string' && Object.hasOwn(INSTANCES, m.instance) ? INSTANCES[m.instance] : undefined;
    // An instance priced only in the scenario's overrides is the scenario's own: kept as written.
    const keep = typeof m.instance === 'string' && !current && Object.hasOwn(priced, m.instance);
    const stale = chosenByFlag && !keep && (current === undefined || current.gpu !== m.gpu);
    if (m.instance !== undefined && !stale) continue;
    const match = matchingInstance(m.gpu, tp, priceSet);
    if (match) m.instance = match.type;
  }
}

/** A model whose instance does not carry its GPU: the message, or undefined. */
export function checkHardware(f: FleetSpec): string | undefined {
  for (const [name, m] of Object.entries(f.models)) {
    if (!Object.hasOwn(INSTANCES, m.instance)) continue; // priced in the overrides, or refused by the bill
    const carried = getInstance(m.instance).gpu;
    if (carried === m.gpu) {
      const split = groupSplitAcrossInstances(name, m);
      if (split) return split;
      continue;
    }
    const options = instancesCarrying(m.gpu).map((i) => i.type);
    const expected = options.length > 0 ? `an instance carrying ${m.gpu} (${options.join(', ')}), or leave the instance out to take the catalog's` : `a GPU instance; ${excerpt(m.gpu)} is carried by no catalog instance, so give its instance's price in fleet.prices.overrides`;
    return `fleet.models.${name}.instance: ${m.instance} carries ${carried ? `${carried} GPUs` : 'no GPU'}, not the model's ${excerpt(m.gpu)} (fleet.models.${name}.gpu); expected ${expected}`;
  }
  return undefined;
}

/**
 * Largest interconnect domain held within one host: a domain past it (GB200's NVL72 rack, 72 GPUs
 * over NVLink across 18 trays of 4) joins several instances by design.
 */
const HOST_DOMAIN_GPUS_MAX = 8;

/**
 * A replica whose tensor- or expert-parallel group is timed within one host's domain (NVLink,
 * PCIe) but billed as several smaller instances: tp 4 on Azure's one-card NC24ads A100 v4 ran as
 * four 1-GPU VMs whose all-reduce the step model took through one host's PCIe switch. Refused,
 * as `fidelity` refuses a group over several hosts of PCIe cards.
 */
function groupSplitAcrossInstances(name: string, m: FleetSpec['models'][string]): string | undefined {
  const instance = getInstance(m.instance);
  const perReplica = gpusPerReplica(m);
  const gpu = Object.hasOwn(GPUS, m.gpu) ? GPUS[m.gpu as GpuId] : undefined;
  if (gpu === undefined || instance.gpus >= perReplica || gpu.interconnect_domain_gpus > HOST_DOMAIN_GPUS_MAX) return undefined;
  if (perReplica > gpu.interconnect_domain_gpus) return undefined; // across nodes: checkTensorParallel's
  const larger = instancesCarrying(m.gpu).filter((i) => i.gpus >= perReplica).map((i) => i.type);
  const field = (m.ep ?? 1) > 1 ? 'ep' : 'tp';
  const expected = larger.length > 0 ? `an instance of at least ${perReplica} (${larger.join(', ')})` : `a ${field} of at most ${instance.gpus} (no catalog instance carries ${perReplica} ${m.gpu})`;
  return `fleet.models.${name}.${field}: a replica's ${perReplica} GPUs all-reduce within one host's ${gpu.interconnect}, but ${m.instance} carries ${instance.gpus}; expected ${expected}`;
}
