import { describe, expect, it } from 'vitest';
import { parseCorpus, parseEngineArgs } from '../../src/fidelity/corpus.ts';
import { withEffectiveBits } from '../../src/perf/dtype.ts';
import { GPUS } from '../../src/perf/hardware.ts';
import { MODELS } from '../../src/perf/models.ts';
import { buildStepGeometry, buildStepModel } from '../../src/perf/step.ts';
import { UserError } from '../../src/errors.ts';

/**
 * A ModelOpt AutoQuantize checkpoint of FP8 and 16-bit layers (dtype.ts withEffectiveBits): NVIDIA's
 * MLPerf v5.0 Mixtral 8x7B for H200 was searched to 8.75 effective bits between FP8 and "do not
 * quantize", so 0.75 / 8 of its layer weights stay FP16.
 */
describe('effective bits of an FP8 + 16-bit checkpoint', () => {
  const mixtral = MODELS['mixtral-8x7b'];
  const mixed = withEffectiveBits(mixtral, 8.75);

  it('keeps (bits - 8) / 8 of the layer weights in 16 bits, and leaves the model alone when none is named', () => {
    expect(mixed.unquantized_linear_share).toBe(0.09375);
    expect(withEffectiveBits(mixtral, undefined)).toBe(mixtral);
    for (const bits of [8, 16, 4.5]) expect(() => withEffectiveBits(mixtral, bits)).toThrow(UserError);
  });

  it('stores the kept share at 2 bytes: 9.4% of Mixtral\'s 46.4B layer weights, about 4.35 GB more on one GPU', () => {
    const plain = buildStepGeometry({ model: mixtral, gpu: GPUS.h200, tp: 1, dtype: 'fp8' });
    const kept = buildStepGeometry({ model: mixed, gpu: GPUS.h200, tp: 1, dtype: 'fp8' });
    // the model card's 46.7B less the embedding and LM head (32,000 x 4,096 each), one more byte each
    const layerWeights = 46.7e9 - 2 * 32000 * 4096;
    expect((kept.weightBytesPerGpu - plain.weightBytesPerGpu) / (0.09375 * layerWeights)).toBeCloseTo(1, 2);
    expect(kept.kvCapacityTokens).toBeLessThan(plain.kvCapacityTokens);
  });

  it('multiplies the kept share at the 16-bit rate, half FP8\'s on H200: a compute-bound prefill of 9,216 tokens about 9% longer', () => {
    const plain = buildStepModel({ model: mixtral, gpu: GPUS.h200, tp: 1, dtype: 'fp8' });
    const kept = buildStepModel({ model: mixed, gpu: GPUS.h200, tp: 1, dtype: 'fp8' });
    const tokens = 9216, pairs = tokens * 214;
    const ratio = kept.stepTimeMs(tokens, pairs, 0, 0) / plain.stepTimeMs(tokens, pairs, 0, 0);
    expect(ratio).toBeGreaterThan(1.06);
    expect(ratio).toBeLessThan(1.1);
    // in 16-bit weights there is nothing to keep: the same step
    const fp16 = (m: typeof mixtral) => buildStepModel({ model: m, gpu: GPUS.h200, tp: 2, dtype: 'fp16' }).stepTimeMs(tokens, pairs, 0, 0);
    expect(fp16(mixed)).toBe(fp16(mixtral));
  });

  it('is a corpus row\'s engine_args effective_bits, on FP8 rows only; other values refused with what was expected', () => {
    expect(parseEngineArgs('effective_bits=8.75')).toEqual({ effective_bits: 8.75 });
    expect(parseEngineArgs('effective_bits=8')).toEqual({ expected: 'effective_bits=a number above 8 and below 16 (FP8 and 16-bit layers)' });
    expect(parseEngineArgs('effective_bits=16')).toEqual({ expected: 'effective_bits=a number above 8 and below 16 (FP8 and 16-bit layers)' });
    const header = 'id,split,kind,statistic,value,unit,stack,stack_version,gpu,model,dtype,kv_dtype,tp,ep,batch,request_rate_per_s,num_requests,prompt_tokens,output_tokens,lengths,source,url,licence,locator,notes,engine_args';
    const row = (dtype: string) => `r1,validation,throughput,mean,100,output_tok_s,trtllm,0.18.0,h200,mixtral-8x7b,${dtype},,1,1,64,,1000,427,145,,s,https://example.org,CC-BY-4.0,l,n,effective_bits=8.75`;
    expect(parseCorpus(`${header}\n${row('fp8')}\n`, 'c.csv')[0].engine_args.effective_bits).toBe(8.75);
    expect(() => parseCorpus(`${header}\n${row('fp16')}\n`, 'c.csv')).toThrow(/^c\.csv:2: engine_args: expected effective_bits only on a row of FP8 weights \(dtype fp8; this one is fp16\)/);
  });
});
