import { readFileSync } from 'node:fs';
import { UserError } from '../errors.ts';
import { excerpt } from '../util/excerpt.ts';
import { closest } from './suggest.ts';
import { HOURS_PER_MONTH } from './prices.ts';

/**
 * Energy and carbon arithmetic of a fleet whose power draw is known (fleetsim 0.2, 2026-12;
 * docs/energy.md): facility power = IT power x PUE; energy per month = power x 730 h, as the bill
 * scales instances; emissions = energy x the grid's carbon intensity. The grids' intensities are
 * public annual averages in data/grid-carbon.json, spread flat over the day, except for the grids
 * that carry a published hourly shape (the mean of each local hour over a year).
 */

/**
 * Default power usage effectiveness. Assumed: between the hyperscalers' fleet averages (Google
 * 2023: 1.10) and the industry average (Uptime Institute global survey 2023: 1.58), nearer the
 * former because GPU fleets are mostly built by cloud providers.
 */
export const DEFAULT_PUE = 1.2;

/**
 * Non-GPU draw of a GPU node (CPUs, memory, NICs, NVSwitches, fans, power-supply losses), per GPU of
 * the node, as a share of the GPU's TDP. Assumed: a DGX H100's nameplate is 10.2 kW of which its
 * eight GPUs take 5.6 kW, leaving 4.6 kW (0.82 of the GPUs' TDP) at the system's maximum; a
 * serving node runs its CPUs and fans well below that, taken here as a quarter of the GPUs' TDP.
 */
export const NODE_OVERHEAD_SHARE_OF_GPU_TDP = 0.25;

export interface Grid {
  readonly id: string;
  readonly g_co2e_per_kwh: number;
  readonly source: string;
  /** Mean intensity of each local hour of the day (0-23), where a source gives one. */
  readonly hourly_g_co2e_per_kwh?: readonly number[];
}

interface GridFile {
  grids: Record<string, { g_co2e_per_kwh: number; source: string; hourly_g_co2e_per_kwh?: number[] }>;
  aliases: Record<string, string>;
}

let gridFile: GridFile | undefined;
function grids(): GridFile {
  gridFile ??= JSON.parse(readFileSync(new URL('../../data/grid-carbon.json', import.meta.url), 'utf8')) as GridFile;
  return gridFile;
}

/** Every name a scenario may give as a region's `grid`: grids and their aliases. */
export function gridNames(): string[] {
  const g = grids();
  return [...Object.keys(g.grids), ...Object.keys(g.aliases)];
}

/** A grid by id or alias; `where` names the scenario field in the error. */
export function getGrid(name: string, where: string): Grid {
  const g = grids();
  const id = Object.hasOwn(g.aliases, name) ? g.aliases[name] : name;
  if (!Object.hasOwn(g.grids, id)) {
    throw new UserError(`${where}: unknown grid "${excerpt(name)}" (did you mean "${closest(name, gridNames())}"?); or give carbon_g_per_kwh`);
  }
  return { id, ...g.grids[id] };
}

/** The grid a region is on when the scenario names none: its own name if that is a grid, else the world average. */
export function defaultGridName(regionName: string): string {
  const g = grids();
  return Object.hasOwn(g.grids, regionName) || Object.hasOwn(g.aliases, regionName) ? regionName : 'world';
}

/** kWh in a month of drawing `power_w` throughout (730 h, as the bill). */
export function monthlyKwh(power_w: number): number {
  return power_w * HOURS_PER_MONTH / 1000;
}

/** kg CO2e of `kwh` on a grid of `g_per_kwh`. */
export function emissionsKg(kwh: number, g_per_kwh: number): number {
  return kwh * g_per_kwh / 1000;
}

/** A grid's intensity in each hour of the day (0-23): its hourly shape, or its annual average in every hour. */
export function hourlyIntensity(grid: Grid): number[] {
  return grid.hourly_g_co2e_per_kwh ? [...grid.hourly_g_co2e_per_kwh] : Array.from({ length: 24 }, () => grid.g_co2e_per_kwh);
}
