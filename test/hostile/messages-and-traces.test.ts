import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { REPO, show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { expectRefusedInOneLine } from '../helpers/errors.ts';
import { parseBudgets } from '../../src/report/budgets.ts';
import { readDocument } from '../../src/scenario/document.ts';

/**
 * The fifth hostile-input campaign of 2026-12-07, its messages and traces: what `check` refused
 * and `validate` passed, refusals that named no file or flag, trace and session inputs read
 * silently. Each test fails on the code before its mend; docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-messages-');
const QUICKSTART = readFileSync('scenarios/quickstart.yaml', 'utf8');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('budgets in a scenario', () => {
  it('a budget check refuses for its form is refused by validate and run too (both passed it)', async () => {
    const file = tmp.write('bad-form.yaml', `${QUICKSTART}budgets:\n  - requests.error_rate <= abc\n`);
    const out = join(tmp.dir(), 'bad-form-out');
    for (const args of [['validate', file], ['run', file, '--quiet', '--out', out], ['check', file, '--quiet']]) {
      const r = await runMain(args);
      expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:\\d+:\\d+: budgets\\[0\\]: expected "metric op value"`), show(r));
    }
    expect(existsSync(out)).toBe(false);
  });

  it('a budget on a misspelt metric or on a string is refused by validate and run, as by check', async () => {
    const file = tmp.write('bad-metric.yaml', `${QUICKSTART}budgets:\n  - requests.error_rate <= 0.5\n  - latency_ms.e2e.p99x <= 5\n`);
    for (const args of [['validate', file], ['run', file, '--quiet', '--set', 'duration_s=2', '--set', 'warmup_s=0'], ['check', file, '--quiet']]) {
      const r = await runMain(args);
      expectRefusedInOneLine(r, new RegExp(`^${escape(file)}: budgets\\[1\\]\\.metric: latency_ms\\.e2e\\.p99x: no field "p99x" in latency_ms\\.e2e; did you mean "latency_ms\\.e2e\\.p99"\\?`), show(r));
    }
    const text = tmp.write('string-metric.yaml', `${QUICKSTART}budgets: ["scenario <= 5"]\n`);
    const r = await runMain(['validate', text]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(text)}: budgets\\[0\\]\\.metric: scenario is a string, not a number$`), show(r));
  });

  it('an empty budgets: list is refused by validate, as by check', async () => {
    const file = tmp.write('empty.yaml', `${QUICKSTART}budgets: []\n`);
    const r = await runMain(['validate', file]);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:\\d+:\\d+: budgets: expected at least one budget`), show(r));
  });
});

describe('traces', () => {
  const MMC = readFileSync('scenarios/mmc-example.yaml', 'utf8');
  /** validate of a scenario replaying `text` as its trace `name`, both in the suite's directory. */
  async function validateTrace(name: string, text: string) {
    tmp.write(name, text);
    const scenario = tmp.write(`${name}.yaml`, MMC.replace(/arrivals: \{[^}]*\}/, `arrivals: { kind: trace, file: ${name} }`));
    const r = await runMain(['validate', scenario]);
    return { r, prefix: `^${escape(scenario)}: workload\\.arrivals\\.file: ${escape(name)}: ` };
  }

  it('timestamps near the double range are refused (their span was infinite: an offered rate of 0, exit 0)', async () => {
    const burst = await validateTrace('far.csv', 'Timestamp,Request tokens,Response tokens\n-1.7e305,100,10\n1.7e305,100,10\n');
    expectRefusedInOneLine(burst.r, new RegExp(`${burst.prefix}line 2, column 1 \\(Timestamp\\): expected seconds of at most 1e\\+12 either side of 0, got "-1\\.7e305"$`), show(burst.r));
    const mooncake = await validateTrace('far.jsonl', '{"timestamp": 0, "input_length": 5, "output_length": 5}\n{"timestamp": 1.7e308, "input_length": 5, "output_length": 5}\n');
    expectRefusedInOneLine(mooncake.r, new RegExp(`${mooncake.prefix}line 2, column 2 \\(timestamp\\): expected milliseconds from 0 to 1e\\+15, got "1\\.7e\\+308"$`), show(mooncake.r));
  });

  it('a column named twice in the header is refused (the first was read, without a word)', async () => {
    const azure = await validateTrace('twice.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens,ContextTokens\n2024-01-01 00:00:00,100,10,5\n2024-01-01 00:00:01,100,10,5\n');
    expectRefusedInOneLine(azure.r, new RegExp(`${azure.prefix}line 1, column 4: column "ContextTokens" given twice \\(columns 2 and 4, "ContextTokens"\\); expected each column once$`), show(azure.r));
  });

  it('a column named twice in another case, or with a zero-width character, is refused too (one of the two was read)', async () => {
    const cased = await validateTrace('cased.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens,contexttokens\n2024-01-01 00:00:00,100,10,5\n2024-01-01 00:00:01,100,10,5\n');
    expectRefusedInOneLine(cased.r, new RegExp(`${cased.prefix}line 1, column 4: column "contexttokens" given twice \\(columns 2 and 4, "ContextTokens"\\)`), show(cased.r));
    const hidden = await validateTrace('hidden.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens,ContextTokens\u200b\n2024-01-01 00:00:00,100,10,5\n2024-01-01 00:00:01,100,10,5\n');
    expectRefusedInOneLine(hidden.r, new RegExp(`${hidden.prefix}line 1, column 4: column "ContextTokens.*" given twice`), show(hidden.r));
    // Azure's and BurstGPT's timestamp columns in one header: which format was meant is not known
    const both = await validateTrace('both.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens,Timestamp,Request tokens,Response tokens\n2024-01-01 00:00:00,100,10,0,5,5\n2024-01-01 00:00:01,100,10,1,5,5\n');
    expectRefusedInOneLine(both.r, new RegExp(`${both.prefix}line 1, column 4: column "Timestamp" given twice \\(columns 1 and 4, "TIMESTAMP"\\)`), show(both.r));
  });

  it('a BurstGPT Timestamp written as a date is refused: BurstGPT gives seconds', async () => {
    const burst = await validateTrace('dated.csv', 'Timestamp,Request tokens,Response tokens\n2024-01-01T00:00:00,100,10\n2024-01-01T00:00:01,100,10\n');
    expectRefusedInOneLine(burst.r, new RegExp(`${burst.prefix}line 2, column 1 \\(Timestamp\\): expected seconds as a decimal number, got "2024-01-01T00:00:00"$`), show(burst.r));
  });

  it('a Mooncake line with a key twice is refused (JSON.parse kept the last)', async () => {
    const ok = '{"timestamp": 0, "input_length": 5, "output_length": 5, "hash_ids": [1, 2]}';
    const mooncake = await validateTrace('twice.jsonl', `${ok}\n{"timestamp": 1000, "input_length": 5, "output_length": 5, "timestamp": 9}\n`);
    expectRefusedInOneLine(mooncake.r, new RegExp(`${mooncake.prefix}line 2: key "timestamp" appears twice in one object`), show(mooncake.r));
    // a colon inside a string is not a key: the line is read
    const colon = await validateTrace('colon.jsonl', `${ok}\n{"timestamp": 1000, "input_length": 5, "output_length": 5, "note": "a:b"}\n`);
    expect(colon.r.code, show(colon.r)).toBe(0);
  });
});

describe('sessions', () => {
  it('a normal think time of mean -1e308 ms is refused (every draw was clamped to no think time)', async () => {
    const r = await runMain(['validate', 'scenarios/chat-sessions.yaml', '--set', 'fleet.models.chat.sessions.think_time_ms={dist: normal, mean: -1e308, sd: 1}']);
    // refused as any normal of negative mean is (since the eighth campaign of 2026-12-07)
    expectRefusedInOneLine(r, /^scenarios\/chat-sessions\.yaml: fleet\.models\.chat\.sessions\.think_time_ms\.mean: expected a mean >= 0 \(a time or a count\), got -1e\+308$/, show(r));
  });
});

describe('messages name the file and the field', () => {
  const rolling = (fields: string) => `control={deploys: [{kind: rolling, target: "gpu:chat", at_s: 2, boot_s: 1, ${fields}}]}`;

  it('a rolling deploy with max_unavailable and max_surge both 0 is refused naming the file and field (validate passed it, run refused it in mid-run naming neither)', async () => {
    const file = tmp.write('stuck-deploy.yaml', `extends: ${join(REPO, 'scenarios/chat-sessions.yaml')}\ncontrol:\n  deploys:\n    - { kind: rolling, target: "gpu:chat", at_s: 2, max_unavailable: 0, max_surge: 0 }\n`);
    const r = await runMain(['validate', file, '--allow-path', 'scenarios']);
    expectRefusedInOneLine(r, new RegExp(`^${escape(file)}:\\d+:\\d+: control\\.deploys\\[0\\]\\.max_unavailable: expected above 0 when max_surge is 0 \\(the update could never proceed\\), got 0$`), show(r));
  });

  it('a fraction of unavailable replicas that rounds to 0 on a small pool restarts one at a time, as Kubernetes does (it was refused in mid-run)', async () => {
    const r = await runMain(['run', 'scenarios/chat-sessions.yaml', '--json', '--quiet', '--set', rolling('max_unavailable: 0.05'), '--set', 'duration_s=30', '--set', 'warmup_s=1']);
    expect(r.code, show(r)).toBe(0);
    const deploys = (JSON.parse(r.stdout) as { control: { deploys: { restarted: number }[] } }).control.deploys;
    expect(deploys[0].restarted).toBeGreaterThan(0);
  });

  it('a --what-if value the schema refuses names the flag and the value, not the scenario file (a --set value still names the file)', async () => {
    const file = 'scenarios/incidents/gpu-cluster-failure.yaml';
    const whatIf = await runMain(['replay', file, '--allow-path', 'scenarios', '--quiet', '--what-if', 'a=faults.0.fraction=2']);
    expectRefusedInOneLine(whatIf, /^--what-if a=faults\.0\.fraction=2: faults\[0\]\.fraction: expected a probability in \[0, 1\], got 2$/, show(whatIf));
    const set = await runMain(['replay', file, '--allow-path', 'scenarios', '--quiet', '--set', 'faults.0.fraction=2']);
    expectRefusedInOneLine(set, /^scenarios\/incidents\/gpu-cluster-failure\.yaml: faults\[0\]\.fraction: expected a probability in \[0, 1\], got 2$/, show(set));
  });

  it('a --what-if refused by a check across fields names the flag too (warmup past the duration blamed the scenario file)', async () => {
    const file = 'scenarios/incidents/gpu-cluster-failure.yaml';
    const whatIf = await runMain(['replay', file, '--allow-path', 'scenarios', '--quiet', '--what-if', 'a=warmup_s=1e9']);
    expectRefusedInOneLine(whatIf, /^--what-if a=warmup_s=1e9: warmup_s: expected less than duration_s \(\d+\), got 1000000000$/, show(whatIf));
    const set = await runMain(['replay', file, '--allow-path', 'scenarios', '--quiet', '--set', 'warmup_s=1e9']);
    expectRefusedInOneLine(set, /^scenarios\/incidents\/gpu-cluster-failure\.yaml: warmup_s: expected less than duration_s/, show(set));
  });

  it('replay refuses what-if names that differ only in case, from each other or from the baseline (one file on a case-insensitive file system), before writing', async () => {
    const file = 'scenarios/incidents/gpu-cluster-failure.yaml';
    const out = join(tmp.dir(), 'case-out');
    const twins = await runMain(['replay', file, '--allow-path', 'scenarios', '--quiet', '--out', out, '--what-if', 'Pool=duration_s=10', '--what-if', 'pool=duration_s=20']);
    expectRefusedInOneLine(twins, /^--what-if pool=duration_s=20: "pool" and "Pool" differ only in case, and name one file on a case-insensitive file system \(summary-pool\.json\); pick names that differ otherwise$/, show(twins));
    const baseline = await runMain(['replay', file, '--allow-path', 'scenarios', '--quiet', '--out', out, '--what-if', 'BASELINE=duration_s=10']);
    expectRefusedInOneLine(baseline, /^--what-if BASELINE=duration_s=10: "BASELINE" and "baseline" differ only in case/, show(baseline));
    expect(existsSync(out)).toBe(false);
  });

  it('--slo on a string or boolean field of the summary says so (it said "a block of figures")', async () => {
    const plan = (slo: string) => runMain(['plan', 'scenarios/quickstart.yaml', '--slo', slo, '--vary', 'topology.stations.api.servers=12,16', '--set', 'duration_s=30', '--set', 'warmup_s=1', '--quiet']);
    const text = await plan('scenario<=5');
    expectRefusedInOneLine(text, /^--slo scenario<=5: scenario is a string, not one figure$/, show(text));
    const flag = await plan('complete<=1');
    expectRefusedInOneLine(flag, /^--slo complete<=1: complete is a boolean, not one figure$/, show(flag));
    const block = await plan('requests<=5');
    expectRefusedInOneLine(block, /^--slo requests<=5: requests is a block of figures, not one figure \(e\.g\. requests\.offered\)$/, show(block));
  });

  it('a hexadecimal bound in a budget string or --slo is refused (Number() read 0x10 as 16); a YAML value 0x10 stays YAML\'s integer, as in a scenario', async () => {
    const budgets = tmp.write('hex-budgets.yaml', '- requests.error_rate <= 0x10\n');
    const check = await runMain(['check', 'scenarios/quickstart.yaml', '--budgets', budgets, '--quiet']);
    expectRefusedInOneLine(check, new RegExp(`^${escape(budgets)}: \\[0\\]: expected "metric op value" with op one of <=, <, >=, > and a decimal number .*, got "requests\\.error_rate <= 0x10"$`), show(check));
    const slo = await runMain(['plan', 'scenarios/quickstart.yaml', '--slo', 'requests.error_rate<=0x10', '--vary', 'topology.stations.api.servers=12,16', '--quiet']);
    expectRefusedInOneLine(slo, /^--slo requests\.error_rate<=0x10: expected a decimal number after <=, got "0x10"$/, show(slo));
    const typed = tmp.write('hex-value.yaml', '- { metric: requests.error_rate, op: "<=", value: 0x10 }\n');
    expect(parseBudgets(readDocument(typed), typed)[0].value).toBe(16);
  });
});
