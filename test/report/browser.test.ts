import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import packagedChromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/cli.ts';
import { loadScenario } from '../../src/scenario/load.ts';
import { prepare } from '../../src/scenario/prepare.ts';
import { runReplicationsSliced } from '../../src/cli/progress.ts';
import { buildReportFiles } from '../../src/report/report-files.ts';
import type { Summary } from '../../src/results/summary.ts';

/**
 * report.html in headless Chromium, driven by playwright-core: every chart container holds a drawn
 * SVG, the console shows no error or warning, nothing is fetched from the network, and a screenshot
 * is kept in reports/test-artifacts/ (git ignores reports/).
 *
 * The browser comes from npm: @sparticuz/chromium ships a headless Chromium build inside the
 * package (brotli-compressed, unpacked to the temp directory on first use), so `npm install` is the
 * whole set-up and no system browser is needed. CHROMIUM_PATH=/path/to/chromium uses another one.
 */
let CHROMIUM = process.env.CHROMIUM_PATH ?? '';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(REPO, 'reports', 'test-artifacts');

let browser: Browser | undefined;
const pages: Record<string, { file: string; charts: string[] }> = {};

async function writeReport(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(ARTIFACTS, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return join(dir, 'report.html');
}

beforeAll(async () => {
  // A short fleet run with every chart: fault bands (as the faults branch writes them) and a what-if.
  const fleetPrep = prepare(loadScenario(join(REPO, 'scenarios/openai-2024.yaml'), ['duration_s=40', 'warmup_s=10']));
  const fleet = await runReplicationsSliced(fleetPrep, 1, 1);
  const faulted = {
    ...fleet.summary,
    faults: [{ index: 0, kind: 'redis_failover', target: 'us-east/redis', start_s: 15, detected_s: 17, mitigated_s: 22, end_s: 25, recovered_s: 28 }],
  } as Summary;
  const whatIf = structuredClone(faulted);
  whatIf.latency_ms.e2e.p99 = faulted.latency_ms.e2e.p99! * 0.6;
  const fleetFiles = await buildReportFiles({
    summary: faulted,
    timeseries: fleet.timeseries,
    distributions: fleet.distributions,
    variants: [
      { name: 'baseline', summary: faulted, timeseries: fleet.timeseries },
      { name: 'failover 2x faster', summary: whatIf, timeseries: fleet.timeseries.map((r) => ({ ...r, e2e_p99_ms: r.e2e_p99_ms === null ? null : r.e2e_p99_ms * 0.6 })) },
    ],
  });
  const stPrep = prepare(loadScenario(join(REPO, 'scenarios/mmc-example.yaml'), ['duration_s=500', 'warmup_s=50']));
  const st = await runReplicationsSliced(stPrep, 7, 1);
  const stFiles = await buildReportFiles({ summary: st.summary, timeseries: st.timeseries, distributions: st.distributions });
  const ids = (files: Record<string, string>) => Object.keys(files).filter((f) => f.startsWith('chart-')).map((f) => f.slice(6, -4));
  pages.fleet = { file: await writeReport('report-fleet', fleetFiles), charts: ids(fleetFiles) };
  pages.stations = { file: await writeReport('report-stations', stFiles), charts: ids(stFiles) };
  if (CHROMIUM === '') CHROMIUM = await packagedChromium.executablePath();
  if (existsSync(CHROMIUM)) browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});

afterAll(async () => {
  await browser?.close();
});

describe('report.html in headless Chromium', () => {
  it('Chromium is available', () => {
    expect(
      existsSync(CHROMIUM),
      `Chromium not found at ${CHROMIUM}: npm install unpacks @sparticuz/chromium's browser, ` +
        `or set CHROMIUM_PATH=/path/to/chromium`,
    ).toBe(true);
  });

  for (const name of ['fleet', 'stations'] as const) {
    it(`renders every chart of the ${name} report, offline, with a clean console`, async () => {
      expect(browser, `Chromium not found at ${CHROMIUM} (see the test above)`).toBeDefined();
      const { file, charts } = pages[name];
      expect(charts.length).toBeGreaterThanOrEqual(name === 'fleet' ? 10 : 5);
      const page = await browser!.newPage({ viewport: { width: 1100, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) problems.push(`network request: ${req.url()}`);
      });
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector('body[data-charts="done"]', { timeout: 20_000 });
      // Per container: the id, the render status, the SVG's size and how many marks it drew.
      const drawn = (await page.$$eval('.vis', (els) =>
        els.map((el) => {
          const svg = el.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          return {
            id: el.getAttribute('data-chart'),
            rendered: el.getAttribute('data-rendered'),
            width: box?.width ?? 0,
            height: box?.height ?? 0,
            marks: svg ? svg.querySelectorAll('path, rect, line, text').length : 0,
            axes: svg ? svg.querySelectorAll('.role-axis').length : 0,
          };
        }),
      )) as { id: string; rendered: string; width: number; height: number; marks: number; axes: number }[];
      expect(drawn.map((d) => d.id).sort()).toEqual([...charts].sort());
      for (const d of drawn) {
        expect(d.rendered, `${d.id}: render status`).toBe('ok');
        expect(d.width, `${d.id}: svg width`).toBeGreaterThan(200);
        expect(d.height, `${d.id}: svg height`).toBeGreaterThan(50);
        expect(d.marks, `${d.id}: drawn elements`).toBeGreaterThan(20);
        expect(d.axes, `${d.id}: axes`).toBeGreaterThanOrEqual(1);
      }
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, `report-${name}.png`), fullPage: true });
      await page.close();
      expect(problems).toEqual([]);
    });
  }
});
