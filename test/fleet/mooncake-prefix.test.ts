import { describe, expect, it } from 'vitest';
import { stream } from '../../src/engine/random.ts';
import { runReplications } from '../../src/experiment/replications.ts';
import { PrefixChain } from '../../src/fleet/gpu/prefix-cache.ts';
import { TokenSource } from '../../src/fleet/llm/tokens.ts';
import { loadTrace } from '../../src/workload/trace.ts';
import { embedModel, smallFleet, smallModel } from '../helpers/fleet.ts';
import { suiteTempDir } from '../helpers/temp-dir.ts';

const temp = suiteTempDir('fleetsim-mooncake-');

describe('Mooncake block ids as prefix chains', () => {
  it('a row is one segment per 512-token block, the last one ending at the prompt', () => {
    const file = temp.write('one.jsonl', '{"timestamp": 0, "input_length": 1100, "output_length": 3, "hash_ids": [5, 6, 7]}\n');
    const tokens = new TokenSource({ trace: loadTrace(file), scale_prompt: 1, scale_output: 1 }, stream(1, 't'), 4096, false);
    tokens.draw();
    expect(tokens.prefixIsTraceRow).toBe(true);
    expect(tokens.prefixId).toBe(0);
    const chain = tokens.chainOfRow(0, tokens.prompt, new PrefixChain());
    expect(Array.from(chain.endTokens.subarray(0, chain.length))).toEqual([512, 1024, 1100]);
    expect(new Set(chain.keys.subarray(0, 3)).size).toBe(3);
  });

  it('a fleet replaying one repeated request: once warm, each prompt of P tokens reuses floor((P-1)/16) blocks', () => {
    const P = 6955;
    const file = temp.write('same.jsonl', `{"timestamp": 0, "input_length": ${P}, "output_length": 20, "hash_ids": [${Array.from({ length: 14 }, (_, k) => k).join(', ')}]}\n`);
    const small = { ...smallModel(), gpus: 1, tokens: { trace: file } };
    const prep = smallFleet({ rate_per_s: 1, duration_s: 120, warmup_s: 0, fleet: { models: { small, embed: embedModel() } } });
    prep.tokenTraces = { small: loadTrace(file) };
    const gpu = runReplications(prep, 1, 1).summary.gpu!.small;
    const reused = Math.floor((P - 1) / 16) * 16; // 6944: the last token is always computed
    // the first request is cold; at 0.7 requests/s on one replica no second one arrives before its prefill ends
    expect(gpu.prefix_hit_rate).toBeGreaterThan((reused / P) * 0.97);
    expect(gpu.prefix_hit_rate).toBeLessThanOrEqual(reused / P);
  });
});
