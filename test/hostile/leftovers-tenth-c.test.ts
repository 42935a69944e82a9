import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../check/run-main.ts';
import { show } from '../helpers/cli.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';
import { GPUS } from '../../src/perf/hardware.ts';
import { MODELS } from '../../src/perf/models.ts';
import { buildStepModel, sequenceKvTokens } from '../../src/perf/step.ts';
import { steadyConcurrency } from '../../src/perf/batch-kinds.ts';
import { schedulerOf } from '../../src/perf/calibration.ts';
import { ENGINE_PROFILES } from '../../src/perf/profiles.ts';
import { judge } from '../../src/experiment/fleet-plan.ts';
import type { Summary } from '../../src/results/summary.ts';

/**
 * Leftovers of the tenth hostile-input campaign of 2026-12-07, mended that evening: each test
 * fails on the code before its mend. docs/hostile-inputs.md lists them.
 */
const tmp = suiteTempDir('fleetsim-hostile-leftovers-tenth-c-');

const TWO_MODELS = 'test/experiment/fixtures/fleet-plan-two-models.yaml';

/** A Gemma-3-12B-like config.json of 48 layers, the first `sliding` of them sliding over `window` tokens. */
function gemmaConfig(name: string, sliding: number, window: number): string {
  const layer_types = Array.from({ length: 48 }, (_, i) => (i < sliding ? 'sliding_attention' : 'full_attention'));
  return tmp.write(`${name}.json`, JSON.stringify({
    model_type: 'gemma3_text', hidden_size: 3840, intermediate_size: 15360, num_hidden_layers: 48, num_attention_heads: 16,
    num_key_value_heads: 8, head_dim: 256, vocab_size: 262208, max_position_embeddings: 131072, sliding_window: window,
    torch_dtype: 'bfloat16', layer_types,
  }));
}

async function perfJson(args: string[]): Promise<Record<string, number>> {
  const r = await runMain(['perf', ...args, '--json']);
  expect(r.code, show(r)).toBe(0);
  return JSON.parse(r.stdout) as Record<string, number>;
}

describe('a model whose every layer slides holds at most its window of KV cache a sequence', () => {
  it("the step model: a 32,768-token sequence's KV bytes under a 4,096-token window are the window's (K and V of every layer)", () => {
    // Gemma 2 9B with every one of its 42 layers sliding over 4,096 tokens
    const base = MODELS['gemma-2-9b'];
    const model = { ...base, sliding_window_layers: base.layers, sliding_window: 4096 };
    const step = buildStepModel({ model, gpu: GPUS['h100-80gb'], tp: 1, dtype: 'bf16' });
    const windowBytes = 4096 * base.layers * 2 * base.kv_heads * base.head_dim! * 2; // tokens x layers x (K, V) x heads x dims x bf16
    expect(step.kvBytesPerToken * sequenceKvTokens(step, 32768)).toBe(windowBytes);
    // shorter than the window: its own tokens
    expect(sequenceKvTokens(step, 1000)).toBe(1000);
    // the capacity check's concurrency: the sequences the cache holds at a window each
    const scheduler = { ...schedulerOf(ENGINE_PROFILES.vllm), max_num_seqs: 1e6, chunked_prefill: false };
    expect(steadyConcurrency(step, scheduler, 30720, 2048)).toBe(Math.floor(step.kvCapacityTokens / 4096));
  });

  it('perf: a 32,768-token request under a 4,096-token window takes the KV cache of a 4,096-token one (it took 32,768 tokens: capacity understated eightfold)', async () => {
    const config = gemmaConfig('all-sliding-4k', 48, 4096);
    const long = await perfJson(['--model-config', config, '--gpu', 'h100', '--prompt', '30720', '--output', '2048']);
    const windowLong = await perfJson(['--model-config', config, '--gpu', 'h100', '--prompt', '3072', '--output', '1024']);
    expect(long.kv_tokens_per_sequence_bound).toBe(4096);
    // KV per sequence: the cache's tokens over the sequences it holds, each a window's (block rounding aside)
    expect(long.max_batch).toBe(Math.floor(long.kv_capacity_tokens / 4096));
    expect(long.max_batch).toBe(windowLong.max_batch);
    // the same layers attending fully hold the whole request
    const full = await perfJson(['--model-config', gemmaConfig('all-full', 0, 4096), '--gpu', 'h100', '--prompt', '30720', '--output', '2048']);
    expect(full.kv_capacity_tokens).toBe(long.kv_capacity_tokens);
    expect(full.max_batch).toBe(Math.floor(full.kv_capacity_tokens / 32768));
  });
});

describe('the by-model tables mark thin percentiles as the latency table does', () => {
  it('report.md, report.html and the terminal mark a model p99 resting on fewer than 1,000 requests, and say why', async () => {
    const out = join(tmp.dir(), 'thin-by-model');
    // 2 requests/s for 30 s measured: a few dozen requests per model, far from a p99's 1,000
    const r = await runMain(['run', TWO_MODELS, '--set', 'workload.arrivals.rate_per_s=2', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const row = md.split('\n').find((l) => l.startsWith('| chat |'))!;
    const cells = row.split('|').map((c) => c.trim());
    // model, offered, completed, 429, TTFT p50, TTFT p99, TPOT p50, e2e p50, e2e p99
    expect(cells[6], row).toMatch(/^[\d,.]+\*$/);
    expect(cells[9], row).toMatch(/^[\d,.]+\*$/);
    const completed = cells[3];
    expect(md).toContain(`* chat from ${completed} completed requests, fewer than 10 lie beyond`);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(`<td>${cells[6]}</td>`);
    expect(html).toMatch(/<p class="note">\* chat from [\d,]+ completed requests, fewer than 10 lie beyond/);
    expect(r.stdout).toMatch(/^\* chat from [\d,]+ completed requests, fewer than 10 lie beyond .*: rough figures, not tails/m);
  });
});

describe('plan --fleet: a latency met only by the requests that survived', () => {
  /** The two-model fixture with ten users, the chat model's each allowed 12 requests a minute: about half its requests are refused (429). */
  const rateLimited = () => tmp.write('rate-limited.yaml', readFileSync(TWO_MODELS, 'utf8')
    .replace('users: { count: 1000', 'users: { count: 10')
    .replace('      slo: { ttft_p99_ms: 420 }\n', '      slo: { ttft_p99_ms: 420 }\n      rate_limit: { requests_per_min: 12 }\n'));

  it('a model refusing 90% of its requests is not met, however fast the rest (already so: refusals, failures and time-outs above 0.1% of those offered)', async () => {
    const r = await runMain(['run', TWO_MODELS, '--json', '--quiet']);
    expect(r.code, show(r)).toBe(0);
    const summary = JSON.parse(r.stdout) as Summary;
    const slo = { ttft_p99_ms: 420 };
    expect(judge(summary, 'chat', slo).met).toBe(true);
    // the same figures for the requests served, nine refused for each one served
    const chat = summary.by_model!.chat;
    const refusing = { ...summary, by_model: { ...summary.by_model, chat: { ...chat, requests: { ...chat.requests, offered: chat.requests.offered * 10, rejected: chat.requests.offered * 9 } } } } as Summary;
    const j = judge(refusing, 'chat', slo);
    expect(j.met).toBe(false);
    expect(j.reasons.join('; ')).toMatch(/90\.00% refused, failed or timed out \(at most 0\.1%\)/);
  });

  it("says whose latency it met where a model's per-user rate limit refused 1% or more of its requests (it chose the fleet without a word)", async () => {
    const out = join(tmp.dir(), 'rate-limited-plan');
    const r = await runMain(['plan', rateLimited(), '--fleet', '--gpus', 'l4', '--tp', '1', '--jobs', '1', '--out', out]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stderr).toMatch(/warning: chat: its per-user rate limit refused [\d.]+% of the requests that ended \(429\), so its latency is of those that passed it/);
    expect(r.stderr).not.toMatch(/warning: complete: its per-user rate limit/);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8'));
    expect(plan.warnings.some((w: string) => w.startsWith('chat: its per-user rate limit refused'))).toBe(true);
  });
});
