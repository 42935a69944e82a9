import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadTrace } from '../../src/workload/trace.ts';
import { userError } from '../helpers/errors.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLES = ['scenarios/data/traces/mooncake-conversation-300.jsonl', 'scenarios/data/traces/mooncake-synthetic-200.jsonl'];

const { write } = suiteTempDir('fleetsim-trace-formats-');

describe('the shipped Azure LLM inference trace 2024 samples', () => {
  // The notebook of Azure/AzurePublicDataset (analysis/AzureLLMInferenceDataset2024.ipynb) prints
  // each file's first rows; the gaps below are read off those printed timestamps by hand.
  const cases = [
    { file: 'azure-llm-2024-code-head5.csv', gaps_us: [0, 7405, 12384, 27915, 73960], prompt: [2162, 2399, 76, 2376, 7670], output: [5, 6, 15, 1, 8] },
    { file: 'azure-llm-2024-conv-head5.csv', gaps_us: [0, 40520, 156825, 157769, 247116], prompt: [1452, 584, 862, 1569, 617], output: [3, 3, 38, 3, 104] },
  ];
  for (const c of cases) {
    it(`${c.file}: five requests with their UTC-offset timestamps to the microsecond`, () => {
      const trace = loadTrace(join(REPO, 'scenarios/data/traces', c.file));
      expect(trace.length).toBe(5);
      expect(Array.from(trace.t_ms, (t) => Math.round(t * 1000))).toEqual(c.gaps_us);
      expect(Array.from(trace.promptTokens)).toEqual(c.prompt);
      expect(Array.from(trace.outputTokens)).toEqual(c.output);
      expect(trace.prefixBlocks).toBeUndefined();
    });
  }
});

describe('the shipped BurstGPT sample', () => {
  it('burstgpt-1-head3.csv: three requests, seconds from the first, by column name', () => {
    // The rows as the published quotations give them (scenarios/data/traces/README.md): 5 s, 45 s
    // and 118 s after the first day's midnight; the reader shifts the first to 0.
    const trace = loadTrace(join(REPO, 'scenarios/data/traces/burstgpt-1-head3.csv'));
    expect(Array.from(trace.t_ms)).toEqual([0, 40_000, 113_000]);
    expect(Array.from(trace.promptTokens)).toEqual([472, 1087, 417]);
    expect(Array.from(trace.outputTokens)).toEqual([18, 230, 276]);
    expect(trace.prefixBlocks).toBeUndefined();
  });
});

describe('the shipped Mooncake samples', () => {
  for (const sample of SAMPLES) {
    it(`${sample} loads every line, in time order, with its block ids`, () => {
      const file = join(REPO, sample);
      // An independent reading: JSON.parse per line, then a stable sort by timestamp.
      const rows = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
      const order = rows.map((_, i) => i).sort((a, b) => rows[a].timestamp - rows[b].timestamp || a - b);
      const trace = loadTrace(file);
      expect(trace.length).toBe(rows.length);
      expect(rows.length).toBe(sample.includes('300') ? 300 : 200);
      const t0 = rows[order[0]].timestamp;
      const blocks = trace.prefixBlocks!;
      expect(blocks.blockTokens).toBe(512);
      order.forEach((r, i) => {
        expect(trace.t_ms[i]).toBe(rows[r].timestamp - t0);
        expect(trace.promptTokens[i]).toBe(rows[r].input_length);
        expect(trace.outputTokens[i]).toBe(rows[r].output_length);
        expect(Array.from(blocks.ids.subarray(blocks.start[i], blocks.start[i + 1]))).toEqual(rows[r].hash_ids);
      });
    });
  }

  it('lists ceil(input_length / 512) blocks per request, as the trace README describes', () => {
    const trace = loadTrace(join(REPO, SAMPLES[0]));
    const b = trace.prefixBlocks!;
    for (let i = 0; i < trace.length; i++) expect(b.start[i + 1] - b.start[i]).toBe(Math.ceil(trace.promptTokens[i] / 512));
  });
});

describe('Azure 2024 and BurstGPT CSV', () => {
  it('reads the 2024 timestamps with their UTC offset', () => {
    const f = write(
      'azure2024.csv',
      'TIMESTAMP,ContextTokens,GeneratedTokens\n2024-05-10 00:00:00.009930+00:00,4808,10\n2024-05-10 02:00:01.5+02:00,3180,8\n2024-05-09T23:00:03Z,100,1\n',
    );
    const trace = loadTrace(f);
    // 02:00:01.5+02:00 is 00:00:01.5 UTC; 2024-05-09T23:00:03Z comes an hour before the first row.
    const first_ms = Date.UTC(2024, 4, 9, 23, 0, 3);
    expect(Array.from(trace.t_ms)).toEqual([0, Date.UTC(2024, 4, 10) + 9.93 - first_ms, Date.UTC(2024, 4, 10, 0, 0, 1, 500) - first_ms]);
    expect(Array.from(trace.promptTokens)).toEqual([100, 4808, 3180]);
  });

  it('still reads 2023 timestamps without an offset', () => {
    const trace = loadTrace(write('azure2023.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n'));
    expect(trace.t_ms[1]).toBeCloseTo(4314.579, 3);
  });

  it('reads BurstGPT columns by name, seconds to ms, ignoring the others', () => {
    const f = write(
      'burst.csv',
      'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,472,18,490,Conversation log\n45,GPT-4,1087,0,1087,API log\n12.5,ChatGPT,30,4,34,Conversation log\n',
    );
    const trace = loadTrace(f);
    expect(Array.from(trace.t_ms)).toEqual([0, 7500, 40_000]);
    expect(Array.from(trace.promptTokens)).toEqual([472, 30, 1087]);
    expect(Array.from(trace.outputTokens)).toEqual([18, 4, 0]);
    expect(trace.prefixBlocks).toBeUndefined();
  });
});

describe('malformed trace lines are refused with file, line and column', () => {
  const ok = '{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": [0, 1]}';
  const cases: [string, string, RegExp][] = [
    ['bad JSON', `${ok}\n\n{"timestamp": 1, "input_length": 6x}\n`, /bad\.jsonl: line 3, column 35: expected one JSON object per line/],
    ['negative timestamp', `${ok}\n{"timestamp": -4, "input_length": 1, "output_length": 1}\n`, /line 2, column 2 \(timestamp\): expected milliseconds from 0 to 1e\+15, got "-4"/],
    ['fractional tokens', `{"timestamp": 0, "input_length": 1.5, "output_length": 1}\n`, /line 1, column 18 \(input_length\): expected an integer/],
    ['missing output', `{"timestamp": 0, "input_length": 1}\n`, /line 1, column 1 \(output_length\): expected an integer/],
    ['bad hash id', `{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [1, "a"]}\n`, /line 1, column 57 \(hash_ids\): expected a list/],
    ['an array, not an object', `[1, 2]\n`, /line 1, column 1: expected a JSON object/],
    // JSON.stringify wrote the Infinity a number past the double range parses to as "null"
    ['a count of 400 digits', `{"timestamp": 0, "input_length": 5${'0'.repeat(400)}, "output_length": 1}\n`, /line 1, column 18 \(input_length\): expected an integer in \[0, 2147483647\], got "Infinity"$/],
  ];
  for (const [what, text, expected] of cases) {
    it(`Mooncake: ${what}`, () => {
      expect(userError(() => loadTrace(write('bad.jsonl', text)))).toMatch(expected);
    });
  }

  it('BurstGPT: a token cell that is not a count', () => {
    const f = write('bad-burst.csv', 'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,472,18,490,Conversation log\n6,ChatGPT,47x,18,490,Conversation log\n');
    expect(userError(() => loadTrace(f))).toMatch(/bad-burst\.csv: line 3, column 3 \(Request tokens\): expected an integer in \[0, 2147483647\], got "47x"/);
  });

  it('Azure 2024: a UTC offset out of range, and a token cell that is not a count', () => {
    const head = 'TIMESTAMP,ContextTokens,GeneratedTokens\n2024-05-10 00:00:00.009930+00:00,2162,5\n';
    const offset = write('bad-azure-offset.csv', `${head}2024-05-10 00:00:00.017335+25:00,2399,6\n`);
    expect(userError(() => loadTrace(offset))).toMatch(/bad-azure-offset\.csv: line 3, column 1 \(TIMESTAMP\): expected a valid "YYYY-MM-DD HH:MM:SS\.fff" \(UTC\) or seconds, got "2024-05-10 00:00:00\.017335\+25:00"/);
    const tokens = write('bad-azure-tokens.csv', `${head}\n2024-05-10 00:00:00.017335+00:00,2399,-6\n`);
    expect(userError(() => loadTrace(tokens))).toMatch(/bad-azure-tokens\.csv: line 4, column 3 \(GeneratedTokens\): expected an integer in \[0, 2147483647\], got "-6"/);
  });

  it('the CLI exits 2 with one line and no stack trace', () => {
    const trace = write('cli-bad.jsonl', `${ok}\n{"timestamp": 1, "input_length": "many", "output_length": 1}\n`);
    const scenario = write('cli.yaml', readFileSync(join(REPO, 'scenarios/openai-2024.yaml'), 'utf8').replace('arrivals: { kind: poisson, rate_per_s: 16667 }', 'arrivals: { kind: trace, file: cli-bad.jsonl }'));
    const run = spawnSync(process.execPath, [join(REPO, 'src/cli/fleetsim.mjs'), 'validate', scenario], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/cli-bad\.jsonl.*line 2, column 18 \(input_length\)/);
  });
});
