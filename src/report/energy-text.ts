import type { Summary } from '../results/summary.ts';
import type { EnergySummary } from '../results/energy-summary.ts';
import { entries } from './charts/input.ts';
import { fmt, table } from './table.ts';

/**
 * The energy block in words: two verdict lines (energy and carbon), a table by model and the
 * assumptions, for the terminal, report.md and report.html (results/energy-summary.ts makes it).
 */

/** "11,652 MWh" or "812 kWh": energy in the unit that keeps it readable. */
export function energyText(kwh: number): string {
  return kwh >= 1e4 ? `${fmt(kwh / 1000)} MWh` : `${fmt(kwh)} kWh`;
}

/** "4,155 t" or "312 kg": a mass of CO2e likewise. */
function massText(kg: number): string {
  return kg >= 1e4 ? `${fmt(kg / 1000)} t` : `${fmt(kg)} kg`;
}

/** The verdict's energy and carbon lines: the figures a planner asks for first, pointing at their assumptions. */
export function energyVerdictLines(e: EnergySummary): string[] {
  return [
    `energy (full fleet): ${energyText(e.monthly_kwh)} a month at ${fmt(e.facility_power_w / 1000)} kW, ${fmt(e.kwh_per_million_tokens)} kWh per million tokens (assumptions listed with the energy figures)`,
    `carbon: ${massText(e.monthly_kg_co2e)} CO2e a month, ${fmt(e.g_co2e_per_million_tokens)} g CO2e per million tokens (annual grid averages, location-based)`,
  ];
}

const modelRows = (e: EnergySummary) =>
  entries(e.by_model).map(([name, m]) => [
    name, fmt(m.gpus), fmt(m.power_w_per_gpu), fmt(m.prefill_w_per_gpu), fmt(m.decode_w_per_gpu), m.power_cap_w === undefined ? '-' : fmt(m.power_cap_w), fmt(m.gpu_power_w / 1000), fmt(m.node_overhead_w / 1000),
  ]);
const MODEL_HEADER = ['model', 'GPUs', 'W/GPU', 'prefill W', 'decode W', 'cap W', 'GPU kW', 'node kW'];

/** The terminal's energy lines: totals, the table by model, every assumption. */
export function energyTerminalLines(s: Summary): string[] {
  const e = s.energy;
  if (!e) return [];
  return [
    '',
    `energy (full fleet): ${fmt(e.it_power_w / 1000)} kW IT, ${fmt(e.facility_power_w / 1000)} kW with PUE; ${energyText(e.monthly_kwh)}/month, ${fmt(e.kwh_per_million_tokens)} kWh per million tokens, ${fmt(e.wh_per_request)} Wh per request`,
    `carbon: ${massText(e.monthly_kg_co2e)} CO2e/month, ${fmt(e.g_co2e_per_million_tokens)} g CO2e per million tokens`,
    table(MODEL_HEADER, modelRows(e)),
    'energy and carbon assumptions:',
    ...e.assumptions.map((a) => `  - ${a}`),
  ];
}

/** The report's energy table: by model, the totals and assumptions beneath. */
export function energyReportTable(s: Summary): { title: string; header: string[]; rows: string[][]; note: string; collapsed: boolean } | undefined {
  const e = s.energy;
  if (!e) return undefined;
  return {
    title: 'Energy and carbon (full fleet)',
    // the verdict carries the totals; the table and its assumptions fold away in report.md
    collapsed: true,
    header: MODEL_HEADER,
    rows: modelRows(e),
    note: `${energyText(e.monthly_kwh)} a month (${fmt(e.facility_power_w / 1000)} kW with PUE), ${fmt(e.kwh_per_million_tokens)} kWh and ${fmt(e.g_co2e_per_million_tokens)} g CO2e per million tokens, ${massText(e.monthly_kg_co2e)} CO2e a month. Assumptions: ${e.assumptions.join('; ')}.`,
  };
}
