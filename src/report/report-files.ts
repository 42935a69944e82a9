import { stringify } from 'csv-stringify/sync';
import { buildCharts, type ChartDef } from './charts/specs.ts';
import type { ReportInput } from './charts/input.ts';
import { compileVegaLite, renderVegaSvg } from './charts/render.ts';
import { distributionsCsvRows } from '../results/distributions.ts';
import { renderHtml } from './html/page.ts';
import { renderMarkdown, runLine, summaryTables } from './tables.ts';

export const chartFile = (c: Pick<ChartDef, 'id'>) => `chart-${c.id}.svg`;

/**
 * The human-facing report files of one run, beside summary.json and the CSVs: report.html
 * (self-contained, offline), report.md, one chart-<id>.svg per chart and, when the latency
 * sketches were given, distributions.csv (the CDF points the chart draws).
 */
export async function buildReportFiles(input: ReportInput): Promise<Record<string, string>> {
  const charts = buildCharts(input);
  const files: Record<string, string> = {};
  const html: { id: string; title: string; description: string; vega: object; svgFile: string }[] = [];
  for (const c of charts) {
    const vega = await compileVegaLite(c.spec);
    files[chartFile(c)] = await renderVegaSvg(vega);
    html.push({ id: c.id, title: c.title, description: c.description, vega, svgFile: chartFile(c) });
  }
  const s = input.summary;
  const tables = summaryTables(s, input.variants);
  files['report.md'] = renderMarkdown(s, { variants: input.variants, charts: charts.map((c) => ({ id: c.id, title: c.title, file: chartFile(c) })) });
  files['report.html'] = renderHtml({ summary: s, runLine: runLine(s), tables, charts: html });
  if (input.distributions && input.distributions.length > 0) {
    files['distributions.csv'] = stringify(distributionsCsvRows(input.distributions), { header: true, columns: ['model', 'metric', 'quantile', 'latency_ms'] });
  }
  return files;
}
