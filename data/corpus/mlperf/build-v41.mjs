#!/usr/bin/env node
// Builds v41-submitters.csv: MLPerf Inference v4.1 closed-division llama2-70b-99 Offline and
// Server results of the submitters' H100-SXM-80GB and H200-SXM-141GB systems other than NVIDIA's
// H200 (already in llama2-70b.csv; NVIDIA's DGX-H100 Server run is here), per tensor-parallel
// replica, in the corpus row format of data/corpus/README.md:
//
//   node data/corpus/mlperf/build-v41.mjs PATH/TO/inference_results_v4.1 [out.csv]
//   A directory with closed/ in it is read as files; anything else as a git repository whose
//   HEAD is read with `git show HEAD:<path>`.
//
// CSV written by csv-stringify, as the other corpus build scripts write theirs.
//
// The per-system facts (tensor parallelism, config class, batch sizes, KV fraction, target QPS)
// were read by hand from each submitter's closed/<Submitter>/configs/llama2-70b/{__init__.py,
// Offline/__init__.py, Offline/custom.py, Server/__init__.py, Server/custom.py}; the script
// checks the ones it can against the repository (accelerator and GPU count in the system JSON,
// target_qps in the log, the TensorRT-LLM hash in Makefile.build) and fails on a mismatch.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'csv-stringify/sync';

const src = process.argv[2];
if (!src) {
  console.error('usage: node data/corpus/mlperf/build-v41.mjs <inference_results_v4.1 dir or bare git repo> [out.csv]');
  process.exit(2);
}
const out = process.argv[3] ?? join(dirname(fileURLToPath(import.meta.url)), 'v41-submitters.csv');

const isDir = existsSync(join(src, 'closed'));
const read = (path) => (isDir
  ? readFileSync(join(src, path), 'utf8')
  : execFileSync('git', ['-C', src, 'show', `HEAD:${path}`], { encoding: 'utf8', maxBuffer: 64 << 20 }));
const tryRead = (path) => { try { return read(path); } catch { return undefined; } };
const commit = isDir ? (process.env.V41_COMMIT ?? 'unknown') : execFileSync('git', ['-C', src, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();

// ---------------------------------------------------------------------------------------------
// Constants shared by every system
// ---------------------------------------------------------------------------------------------
const TRTLLM_HASH = '2d234357c6e69fa514f6e9b4d4a5ad3bc431c4a6'; // NVIDIA v4.1 TRTLLM_PUBLIC_HASH
const TRTLLM_VERSION = '0.12.0.dev2024071600'; // tensorrt_llm/version.py at that commit
const MAX_NUM_TOKENS = 4096; // GPUBaseConfig.max_num_tokens, configs/llama2-70b/__init__.py (all submitters below: identical file)
const GPU_IDS = { 'NVIDIA H100-SXM-80GB': 'h100-80gb', 'NVIDIA H200-SXM-141GB': 'h200', 'NVIDIA H100-NVL-94GB': 'h100-nvl' };

// ---------------------------------------------------------------------------------------------
// Per-system facts, read from the configs (file and class cited per entry).
//   offline/server: null = scenario skipped (reason in skip*). qps = the class's
//   offline_expected_qps / server_target_qps, which must equal the log's target_qps.
//   kv = kvcache_free_gpu_mem_frac; batch = gpu_batch_size['llama2-70b'].
//   None of these classes (nor their bases) sets trtllm_batch_sched_policy (harness default
//   "max_util", code/harness/harness_llm/main_llm.cc) or enable_chunked_context; all set use_fp8 True.
// ---------------------------------------------------------------------------------------------
const SYSTEMS = [
  {
    // closed/ASUSTeK/configs/llama2-70b/Offline/custom.py class ESC_N8_E11_H100x8(OfflineGPUBaseConfig):
    //   gpu_batch_size 896, offline_expected_qps 19*4 = 76, use_fp8; tensor_parallelism 2 and
    //   kvcache_free_gpu_mem_frac 0.90 inherited from OfflineGPUBaseConfig (Offline/__init__.py).
    // closed/ASUSTeK/configs/llama2-70b/Server/custom.py class ESC_N8_E11_H100x8(ServerGPUBaseConfig):
    //   gpu_batch_size 1024, server_target_qps 17.8*4 = 71.2; TP 2 and kv 0.90 from ServerGPUBaseConfig.
    submitter: 'ASUSTeK', sys: 'ESC_N8_E11_H100x8_TRT', short: 'esc-n8-e11-h100x8', gpus: 8, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'ESC_N8_E11_H100x8', inherit: 'ESC_N8_E11_H100x8(OfflineGPUBaseConfig): gpu_batch_size 896, offline_expected_qps 19 * 4, use_fp8 True; tensor_parallelism 2 and kvcache_free_gpu_mem_frac 0.90 from OfflineGPUBaseConfig', qps: 76, batch: 896, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'ESC_N8_E11_H100x8', inherit: 'ESC_N8_E11_H100x8(ServerGPUBaseConfig): gpu_batch_size 1024, server_target_qps 17.8 * 4, use_fp8 True; tensor_parallelism 2 and kvcache_free_gpu_mem_frac 0.90 from ServerGPUBaseConfig', qps: 71.2, batch: 1024, kv: 0.9 },
  },
  {
    // closed/Dell/configs/llama2-70b/Offline/custom.py class XE8640_H100_SXM_80GBx4(OfflineGPUBaseConfig),
    //   registered for AccuracyTarget.k_99_9 only (no k_99 class names the system): gpu_batch_size 896,
    //   offline_expected_qps 19*4 = 76, tensor_parallelism 2; kv 0.90 from custom.py's OfflineGPUBaseConfig.
    // closed/Dell/configs/llama2-70b/Server/custom.py class XE8640_H100_SXM_80GBx4(ServerGPUBaseConfig),
    //   k_99_9 only: gpu_batch_size 1024, server_target_qps 33, tensor_parallelism 2; kv 0.90.
    //   The llama2-70b-99 summaries are byte-identical to the llama2-70b-99.9 ones.
    submitter: 'Dell', sys: 'XE8640_H100_SXM_80GBx4_TRT', short: 'xe8640-h100x4', gpus: 4, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'XE8640_H100_SXM_80GBx4', inherit: 'XE8640_H100_SXM_80GBx4(OfflineGPUBaseConfig), registered for AccuracyTarget.k_99_9 only (no k_99 class names this system): gpu_batch_size 896, offline_expected_qps 19*4, tensor_parallelism 2, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from the OfflineGPUBaseConfig custom.py defines', qps: 76, batch: 896, kv: 0.9, identical99: true },
    server: { file: 'Server/custom.py', cls: 'XE8640_H100_SXM_80GBx4', inherit: 'XE8640_H100_SXM_80GBx4(ServerGPUBaseConfig), registered for AccuracyTarget.k_99_9 only: gpu_batch_size 1024, server_target_qps 33, tensor_parallelism 2, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from the ServerGPUBaseConfig custom.py defines', qps: 33, batch: 1024, kv: 0.9, identical99: true },
  },
  {
    // closed/Dell/configs/llama2-70b/Offline/custom.py class XE9640_H100_SXM_80GBX4: batch 896, qps 19*2 = 38, TP 2, kv 0.90.
    // closed/Dell/configs/llama2-70b/Server/custom.py class XE9640_H100_SXM_80GBX4: batch 1024, qps 31, TP 2, kv 0.90.
    submitter: 'Dell', sys: 'XE9640_H100_SXM_80GBx4_TRT', short: 'xe9640-h100x4', gpus: 4, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'XE9640_H100_SXM_80GBX4', inherit: 'XE9640_H100_SXM_80GBX4(OfflineGPUBaseConfig): gpu_batch_size 896, offline_expected_qps 19*2, tensor_parallelism 2, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from OfflineGPUBaseConfig', qps: 38, batch: 896, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'XE9640_H100_SXM_80GBX4', inherit: 'XE9640_H100_SXM_80GBX4(ServerGPUBaseConfig): gpu_batch_size 1024, server_target_qps 31, tensor_parallelism 2, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from ServerGPUBaseConfig', qps: 31, batch: 1024, kv: 0.9 },
  },
  {
    // closed/Dell/configs/llama2-70b/Offline/custom.py class XE9680_H100_SXM_80GBX8: batch 896, qps 80, TP 2, kv 0.90.
    // closed/Dell/configs/llama2-70b/Server/custom.py class XE9680_H100_SXM_80GBX8: batch 1024, qps 75, TP 2, kv 0.90.
    submitter: 'Dell', sys: 'XE9680_H100_SXM_80GBx8_TRT', short: 'xe9680-h100x8', gpus: 8, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'XE9680_H100_SXM_80GBX8', inherit: 'XE9680_H100_SXM_80GBX8(OfflineGPUBaseConfig): gpu_batch_size 896, offline_expected_qps 80, tensor_parallelism 2, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from OfflineGPUBaseConfig', qps: 80, batch: 896, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'XE9680_H100_SXM_80GBX8', inherit: 'XE9680_H100_SXM_80GBX8(ServerGPUBaseConfig): gpu_batch_size 1024, server_target_qps 75, tensor_parallelism 2, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from ServerGPUBaseConfig', qps: 75, batch: 1024, kv: 0.9 },
  },
  {
    // closed/Dell/configs/llama2-70b/Offline/custom.py class XE9680_H200_SXM_141GBX8: batch 806, qps 104, TP 1, kv 0.90.
    // Server skipped: Server/custom.py class XE9680_H200_SXM_141GBX8 (system XE9680_H200_SXM_141GBx8)
    //   has server_target_qps 105 (its HighAccuracy subclass inherits 105), but the log's target_qps is
    //   102.5, the value of the stock class H200_SXM_141GBx8 (system KnownSystem.H200_SXM_141GBx8, not
    //   this system) in Server/__init__.py; measurements/.../Server/user.conf says 94.3. Class not certain.
    submitter: 'Dell', sys: 'XE9680_H200_SXM_141GBx8_TRT', short: 'xe9680-h200x8', gpus: 8, tp: 1,
    offline: { file: 'Offline/custom.py', cls: 'XE9680_H200_SXM_141GBX8', inherit: 'XE9680_H200_SXM_141GBX8(OfflineGPUBaseConfig): gpu_batch_size 806, offline_expected_qps 104, tensor_parallelism 1, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from OfflineGPUBaseConfig', qps: 104, batch: 806, kv: 0.9 },
    server: null,
    skipServer: 'class not certain: the log\'s target_qps 102.5 matches no class naming this system (Server/custom.py XE9680_H200_SXM_141GBX8 says 105; 102.5 is the stock H200_SXM_141GBx8 class of KnownSystem.H200_SXM_141GBx8; measurements user.conf says 94.3)',
  },
  {
    // closed/Fujitsu/configs/llama2-70b/Offline/custom.py class GX2560M7_H100_SXM_80GBX4: batch 896, qps 19*2 = 38, TP 2, kv 0.90.
    // closed/Fujitsu/configs/llama2-70b/Server/custom.py: the k_99 class GX2560M7_H100_SXM_80GBX4 says
    //   server_target_qps 33.8; the log's 33 is its subclass GX2560M7_H100_SXM_80GBX4_HighAccuracy
    //   (gpu_batch_size 1024, tensor_parallelism 2, server_target_qps 33; kv 0.90 from ServerGPUBaseConfig).
    //   The llama2-70b-99 Server summary is byte-identical to the llama2-70b-99.9 one.
    submitter: 'Fujitsu', sys: 'GX2560M7_H100_SXM_80GBx4_TRT', short: 'gx2560m7-h100x4', gpus: 4, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'GX2560M7_H100_SXM_80GBX4', inherit: 'GX2560M7_H100_SXM_80GBX4(OfflineGPUBaseConfig): gpu_batch_size 896, offline_expected_qps 19*2, tensor_parallelism 2, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from OfflineGPUBaseConfig', qps: 38, batch: 896, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'GX2560M7_H100_SXM_80GBX4_HighAccuracy', inherit: 'GX2560M7_H100_SXM_80GBX4_HighAccuracy(GX2560M7_H100_SXM_80GBX4): gpu_batch_size 1024, tensor_parallelism 2, use_fp8 True, server_target_qps 33 (the k_99 class GX2560M7_H100_SXM_80GBX4 says 33.8, not the log\'s 33); kvcache_free_gpu_mem_frac 0.90 from ServerGPUBaseConfig', qps: 33, batch: 1024, kv: 0.9, identical99: true },
  },
  {
    // closed/GigaComputing/configs/llama2-70b/Offline/custom.py class GIGABYTE_G593_SD1_H200_SXM_141GBX8: batch 806, qps 104, TP 1, kv 0.90.
    // closed/GigaComputing/configs/llama2-70b/Server/custom.py class GIGABYTE_G593_SD1_H200_SXM_141GBX8: batch 896, qps 102.5, TP 1, kv 0.90.
    submitter: 'GigaComputing', sys: 'GIGABYTE_G593_SD1_H200_SXM_141GBx8_TRT', short: 'g593-sd1-h200x8', gpus: 8, tp: 1,
    offline: { file: 'Offline/custom.py', cls: 'GIGABYTE_G593_SD1_H200_SXM_141GBX8', inherit: 'GIGABYTE_G593_SD1_H200_SXM_141GBX8(OfflineGPUBaseConfig): gpu_batch_size 806, offline_expected_qps 104, tensor_parallelism 1, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from OfflineGPUBaseConfig', qps: 104, batch: 806, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'GIGABYTE_G593_SD1_H200_SXM_141GBX8', inherit: 'GIGABYTE_G593_SD1_H200_SXM_141GBX8(ServerGPUBaseConfig): gpu_batch_size 896, server_target_qps 102.5, tensor_parallelism 1, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from ServerGPUBaseConfig', qps: 102.5, batch: 896, kv: 0.9 },
  },
  {
    // closed/Google/configs/llama2-70b/Offline/__init__.py class H100_SXM_80GB_TP2x4 (system
    //   KnownSystem.H100_SXM_80GBx8, offline_expected_qps 80) < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1
    //   (gpu_batch_size 896, tensor_parallelism 2, use_fp8) < OfflineGPUBaseConfig (kv 0.90). No custom.py.
    // closed/Google/configs/llama2-70b/Server/__init__.py class H100_SXM_80GB_TP2x4 (qps 75) < ... TP2x1 (batch 1024, TP 2).
    submitter: 'Google', sys: 'DGX-H100_H100-SXM-80GBx8_TRT', short: 'dgx-h100x8', gpus: 8, tp: 2,
    offline: { file: 'Offline/__init__.py', cls: 'H100_SXM_80GB_TP2x4', inherit: 'H100_SXM_80GB_TP2x4 (system KnownSystem.H100_SXM_80GBx8, offline_expected_qps 80) < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 896, tensor_parallelism 2, use_fp8 True) < OfflineGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90)', qps: 80, batch: 896, kv: 0.9 },
    server: { file: 'Server/__init__.py', cls: 'H100_SXM_80GB_TP2x4', inherit: 'H100_SXM_80GB_TP2x4 (system KnownSystem.H100_SXM_80GBx8, server_target_qps 75) < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 1024, tensor_parallelism 2, use_fp8 True) < ServerGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90)', qps: 75, batch: 1024, kv: 0.9 },
  },
  {
    // closed/HPE/configs/llama2-70b/Offline/custom.py class HPE_CRAY_XD670_H100_SXM_80GBX8(H100_SXM_80GB_TP2x4):
    //   offline_expected_qps 20*4 = 80, gpu_batch_size 896, kvcache_free_gpu_mem_frac 0.95; TP 2 inherited
    //   from H100_SXM_80GB_TP2x1 in Offline/__init__.py.
    // closed/HPE/configs/llama2-70b/Server/custom.py class HPE_CRAY_XD670_H100_SXM_80GBX8(H100_SXM_80GB_TP2x4):
    //   server_target_qps 80, gpu_batch_size 1024, kvcache_free_gpu_mem_frac 0.97; TP 2 inherited.
    submitter: 'HPE', sys: 'HPE_Cray_XD670_H100_SXM_80GBx8_TRT', short: 'xd670-h100x8', gpus: 8, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'HPE_CRAY_XD670_H100_SXM_80GBX8', inherit: 'HPE_CRAY_XD670_H100_SXM_80GBX8(H100_SXM_80GB_TP2x4): offline_expected_qps 20 * 4, gpu_batch_size 896, kvcache_free_gpu_mem_frac 0.95; tensor_parallelism 2 and use_fp8 True inherited from H100_SXM_80GB_TP2x1 in Offline/__init__.py', qps: 80, batch: 896, kv: 0.95 },
    server: { file: 'Server/custom.py', cls: 'HPE_CRAY_XD670_H100_SXM_80GBX8', inherit: 'HPE_CRAY_XD670_H100_SXM_80GBX8(H100_SXM_80GB_TP2x4): server_target_qps 80, gpu_batch_size 1024, kvcache_free_gpu_mem_frac 0.97, use_fp8 True; tensor_parallelism 2 inherited from H100_SXM_80GB_TP2x1 in Server/__init__.py', qps: 80, batch: 1024, kv: 0.97 },
  },
  {
    // closed/HPE/configs/llama2-70b/Offline/custom.py class HPE_PROLIANT_DL380A_H100_NVL_94GBX4(H100_NVL_94GB_TP2x2):
    //   offline_expected_qps 15*2 = 30, gpu_batch_size 1300, kvcache_free_gpu_mem_frac 0.95, tensor_parallelism 2.
    // closed/HPE/configs/llama2-70b/Server/custom.py class HPE_PROLIANT_DL380A_H100_NVL_94GBX4(H100_NVL_94GB_TP2x2):
    //   server_target_qps 14*2 = 28, gpu_batch_size 1024, kvcache_free_gpu_mem_frac 0.95, tensor_parallelism 2.
    // The logs' target_qps are 32 and 24, which neither this class nor NVIDIA's H100_NVL_94GB_TP2x2
    // (25 and 25) says: the file was edited after the runs, so the rows say the batch and KV fraction
    // are the class's as published (logQps). Two H100 NVL cards per replica, joined by NVLink bridges.
    submitter: 'HPE', sys: 'HPE_ProLiant_DL380a_H100_NVL_94GBx4_TRT', short: 'dl380a-h100nvlx4', gpus: 4, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'HPE_PROLIANT_DL380A_H100_NVL_94GBX4', inherit: 'HPE_PROLIANT_DL380A_H100_NVL_94GBX4(H100_NVL_94GB_TP2x2): offline_expected_qps 15 * 2, gpu_batch_size 1300, kvcache_free_gpu_mem_frac 0.95, use_fp8 True, tensor_parallelism 2', qps: 30, logQps: 32, batch: 1300, kv: 0.95, identical99: true },
    server: { file: 'Server/custom.py', cls: 'HPE_PROLIANT_DL380A_H100_NVL_94GBX4', inherit: 'HPE_PROLIANT_DL380A_H100_NVL_94GBX4(H100_NVL_94GB_TP2x2): server_target_qps 14 * 2, gpu_batch_size 1024, kvcache_free_gpu_mem_frac 0.95, use_fp8 True, tensor_parallelism 2', qps: 28, logQps: 24, batch: 1024, kv: 0.95, identical99: true },
  },
  {
    // Offline skipped: closed/Lenovo/configs/llama2-70b/Offline/__init__.py class H200_SXM_141GBx8 says
    //   offline_expected_qps 60 * 8 = 480; the log's target_qps is 384 (samples_per_query 1013760);
    //   no class has 384.
    // closed/Lenovo/configs/llama2-70b/Server/__init__.py class H200_SXM_141GBx8(H200_SXM_141GBx1):
    //   system KnownSystem.H200_SXM_141GBx8, server_target_qps 104; H200_SXM_141GBx1: gpu_batch_size 896,
    //   tensor_parallelism 1, use_fp8; kv 0.90 from ServerGPUBaseConfig.
    submitter: 'Lenovo', sys: 'H200_SXM_141GBx8_TRT', short: 'sr685a-h200x8', gpus: 8, tp: 1,
    offline: null,
    skipOffline: 'class not certain: the log\'s target_qps 384 matches no Offline class (Lenovo\'s H200_SXM_141GBx8 says 60 * 8 = 480)',
    server: { file: 'Server/__init__.py', cls: 'H200_SXM_141GBx8', inherit: 'H200_SXM_141GBx8(H200_SXM_141GBx1) (system KnownSystem.H200_SXM_141GBx8, server_target_qps 104) < H200_SXM_141GBx1 (gpu_batch_size 896, tensor_parallelism 1, use_fp8 True) < ServerGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90)', qps: 104, batch: 896, kv: 0.9 },
  },
  {
    // closed/Lenovo/configs/llama2-70b/Offline/__init__.py class Lenovo_8xH200(H200_SXM_141GBx1):
    //   offline_expected_qps 14 * 8 = 112; H200_SXM_141GBx1: gpu_batch_size 806, TP 1, use_fp8; kv 0.90.
    // closed/Lenovo/configs/llama2-70b/Server/__init__.py class Lenovo_8xH200(H200_SXM_141GBx1):
    //   server_target_qps 105; H200_SXM_141GBx1: gpu_batch_size 896, TP 1; kv 0.90.
    submitter: 'Lenovo', sys: 'Lenovo_8xH200_TRT', short: 'sr680a-h200x8', gpus: 8, tp: 1,
    offline: { file: 'Offline/__init__.py', cls: 'Lenovo_8xH200', inherit: 'Lenovo_8xH200(H200_SXM_141GBx1) (system KnownSystem.Lenovo_8xH200, offline_expected_qps 14 * 8) < H200_SXM_141GBx1 (gpu_batch_size 806, tensor_parallelism 1, use_fp8 True) < OfflineGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90)', qps: 112, batch: 806, kv: 0.9 },
    server: { file: 'Server/__init__.py', cls: 'Lenovo_8xH200', inherit: 'Lenovo_8xH200(H200_SXM_141GBx1) (system KnownSystem.Lenovo_8xH200, server_target_qps 105) < H200_SXM_141GBx1 (gpu_batch_size 896, tensor_parallelism 1, use_fp8 True) < ServerGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90)', qps: 105, batch: 896, kv: 0.9 },
  },
  {
    // Offline skipped: closed/NVIDIA/configs/llama2-70b/Offline/__init__.py class H100_SXM_80GB_TP2x4
    //   (system KnownSystem.H100_SXM_80GBx8) says offline_expected_qps 80; the log's target_qps is 76.
    // closed/NVIDIA/configs/llama2-70b/Server/__init__.py class H100_SXM_80GB_TP2x4: server_target_qps 75
    //   < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 1024, TP 2, use_fp8) < ServerGPUBaseConfig (kv 0.90).
    submitter: 'NVIDIA', sys: 'DGX-H100_H100-SXM-80GBx8_TRT', short: 'dgx-h100x8', gpus: 8, tp: 2,
    offline: null,
    skipOffline: 'class not certain: the log\'s target_qps 76 matches no Offline class of KnownSystem.H100_SXM_80GBx8 (H100_SXM_80GB_TP2x4 says 80, its MaxQ 66)',
    server: { file: 'Server/__init__.py', cls: 'H100_SXM_80GB_TP2x4', inherit: 'H100_SXM_80GB_TP2x4 (system KnownSystem.H100_SXM_80GBx8, server_target_qps 75) < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 1024, tensor_parallelism 2, use_fp8 True) < ServerGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90)', qps: 75, batch: 1024, kv: 0.9 },
  },
  // Supermicro: closed/Supermicro/configs/llama2-70b/Offline/custom.py classes <SYSTEM>X8(H100_SXM_80GB_TP2x4)
  //   set only `system`; H100_SXM_80GB_TP2x4 in Offline/__init__.py: offline_expected_qps 19 * 4 = 76,
  //   < TP2x2 < TP2x1 (gpu_batch_size 896, tensor_parallelism 2, use_fp8) < OfflineGPUBaseConfig (kv 0.90).
  //   Server/custom.py classes set system and server_target_qps and inherit H100_SXM_80GB_TP2x4
  //   (the k_99 ones) or H100_SXM_80GB_TP2x4_HighAccuracy (the k_99_9 ones), both from Server/__init__.py:
  //   gpu_batch_size 1024, tensor_parallelism 2 (TP2x1), kv 0.90. The log's target_qps picks the class;
  //   for three systems it is the _HighAccuracy class (the 99 summaries equal the 99.9 ones byte for byte).
  {
    submitter: 'Supermicro', sys: 'AS_4125GS_TNHR2_LCC_H100_SXM_80GBx8_TRT', short: 'as-4125gs-tnhr2-lcc-h100x8', gpus: 8, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'AS_4125GS_TNHR2_LCC_H100_SXM_80GBX8', inherit: 'AS_4125GS_TNHR2_LCC_H100_SXM_80GBX8(H100_SXM_80GB_TP2x4) sets only system; H100_SXM_80GB_TP2x4 (offline_expected_qps 19 * 4) < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 896, tensor_parallelism 2, use_fp8 True) < OfflineGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90) in Offline/__init__.py', qps: 76, batch: 896, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'AS_4125GS_TNHR2_LCC_H100_SXM_80GBX8_HighAccuracy', inherit: 'AS_4125GS_TNHR2_LCC_H100_SXM_80GBX8_HighAccuracy(H100_SXM_80GB_TP2x4_HighAccuracy): server_target_qps 20.56 * 4 (the k_99 class says 19.08 * 4); H100_SXM_80GB_TP2x4_HighAccuracy < H100_SXM_80GB_TP2x4 < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 1024, tensor_parallelism 2, use_fp8 True) < ServerGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90) in Server/__init__.py', qps: 82.24, batch: 1024, kv: 0.9, identical99: true },
  },
  {
    submitter: 'Supermicro', sys: 'AS_8125GS_TNHR_H100_SXM_80GBx8_TRT', short: 'as-8125gs-tnhr-h100x8', gpus: 8, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'AS_8125GS_TNHR_H100_SXM_80GBX8', inherit: 'AS_8125GS_TNHR_H100_SXM_80GBX8(H100_SXM_80GB_TP2x4) sets only system; H100_SXM_80GB_TP2x4 (offline_expected_qps 19 * 4) < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 896, tensor_parallelism 2, use_fp8 True) < OfflineGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90) in Offline/__init__.py', qps: 76, batch: 896, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'AS_8125GS_TNHR_H100_SXM_80GBX8_HighAccuracy', inherit: 'AS_8125GS_TNHR_H100_SXM_80GBX8_HighAccuracy(H100_SXM_80GB_TP2x4_HighAccuracy): server_target_qps 18.92 * 4 (the k_99 class says 18.34 * 4); H100_SXM_80GB_TP2x4_HighAccuracy < H100_SXM_80GB_TP2x4 < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 1024, tensor_parallelism 2, use_fp8 True) < ServerGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90) in Server/__init__.py', qps: 75.68, batch: 1024, kv: 0.9, identical99: true },
  },
  {
    submitter: 'Supermicro', sys: 'SYS_421GE_TNHR2_LCC_H100_SXM_80GBx8_TRT', short: 'sys-421ge-tnhr2-lcc-h100x8', gpus: 8, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'SYS_421GE_TNHR2_LCC_H100_SXM_80GBX8', inherit: 'SYS_421GE_TNHR2_LCC_H100_SXM_80GBX8(H100_SXM_80GB_TP2x4) sets only system; H100_SXM_80GB_TP2x4 (offline_expected_qps 19 * 4) < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 896, tensor_parallelism 2, use_fp8 True) < OfflineGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90) in Offline/__init__.py', qps: 76, batch: 896, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'SYS_421GE_TNHR2_LCC_H100_SXM_80GBX8', inherit: 'SYS_421GE_TNHR2_LCC_H100_SXM_80GBX8(H100_SXM_80GB_TP2x4): server_target_qps 19.02 * 4 (its _HighAccuracy class says the same); H100_SXM_80GB_TP2x4 < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 1024, tensor_parallelism 2, use_fp8 True) < ServerGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90) in Server/__init__.py', qps: 76.08, batch: 1024, kv: 0.9 },
  },
  {
    submitter: 'Supermicro', sys: 'SYS_821GE_TNHR_H100_SXM_80GBx8_TRT', short: 'sys-821ge-tnhr-h100x8', gpus: 8, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'SYS_821GE_TNHR_H100_SXM_80GBX8', inherit: 'SYS_821GE_TNHR_H100_SXM_80GBX8(H100_SXM_80GB_TP2x4) sets only system; H100_SXM_80GB_TP2x4 (offline_expected_qps 19 * 4) < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 896, tensor_parallelism 2, use_fp8 True) < OfflineGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90) in Offline/__init__.py', qps: 76, batch: 896, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'SYS_821GE_TNHR_H100_SXM_80GBX8_HighAccuracy', inherit: 'SYS_821GE_TNHR_H100_SXM_80GBX8_HighAccuracy(H100_SXM_80GB_TP2x4_HighAccuracy): server_target_qps 19.10 * 4 (the k_99 class says 20.49 * 4); H100_SXM_80GB_TP2x4_HighAccuracy < H100_SXM_80GB_TP2x4 < H100_SXM_80GB_TP2x2 < H100_SXM_80GB_TP2x1 (gpu_batch_size 1024, tensor_parallelism 2, use_fp8 True) < ServerGPUBaseConfig (kvcache_free_gpu_mem_frac 0.90) in Server/__init__.py', qps: 76.4, batch: 1024, kv: 0.9, identical99: true },
  },
  {
    // closed/Sustainable_Metal_Cloud/configs/llama2-70b/Offline/custom.py class SMC_H100_SXM_80GBX8(OfflineGPUBaseConfig):
    //   gpu_batch_size 896, offline_expected_qps 10 * 8 = 80, tensor_parallelism 2, use_fp8; kv 0.90 inherited.
    // closed/Sustainable_Metal_Cloud/configs/llama2-70b/Server/custom.py class SMC_H100_SXM_80GBX8(ServerGPUBaseConfig):
    //   gpu_batch_size 1024, server_target_qps 73.5, tensor_parallelism 2, use_fp8; kv 0.90 inherited.
    submitter: 'Sustainable_Metal_Cloud', sys: 'SMC_H100_SXM_80GBX8_TRT', short: 'h100x8', gpus: 8, tp: 2,
    offline: { file: 'Offline/custom.py', cls: 'SMC_H100_SXM_80GBX8', inherit: 'SMC_H100_SXM_80GBX8(OfflineGPUBaseConfig): gpu_batch_size 896, offline_expected_qps 10 * 8, tensor_parallelism 2, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from OfflineGPUBaseConfig', qps: 80, batch: 896, kv: 0.9 },
    server: { file: 'Server/custom.py', cls: 'SMC_H100_SXM_80GBX8', inherit: 'SMC_H100_SXM_80GBX8(ServerGPUBaseConfig): gpu_batch_size 1024, server_target_qps 73.5, tensor_parallelism 2, use_fp8 True; kvcache_free_gpu_mem_frac 0.90 from ServerGPUBaseConfig', qps: 73.5, batch: 1024, kv: 0.9 },
  },
];

// ---------------------------------------------------------------------------------------------
// Exact decimal arithmetic on published strings (no floating point)
// ---------------------------------------------------------------------------------------------
function parseDec(s) {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s.trim());
  if (!m) throw new Error(`not a plain decimal: ${s}`);
  const frac = m[2] ?? '';
  return { n: BigInt(m[1] + frac), scale: frac.length };
}
function fmtDec({ n, scale }) {
  let s = n.toString().padStart(scale + 1, '0');
  if (scale > 0) s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}
/** a / d exactly (d a positive integer); throws if the quotient does not terminate within 30 digits */
function divDec(a, d) {
  let { n, scale } = parseDec(a);
  const D = BigInt(d);
  for (let i = 0; i < 30; i++) {
    if (n % D === 0n) return fmtDec({ n: n / D, scale });
    n *= 10n; scale += 1;
  }
  throw new Error(`${a} / ${d} does not terminate`);
}
/** ns -> ms: the same digits, the decimal point moved six places */
const nsToMs = (ns) => { const d = parseDec(ns); return fmtDec({ n: d.n, scale: d.scale + 6 }); };
const idNum = (s) => s.replace('.', 'p');

// ---------------------------------------------------------------------------------------------
// Log parsing
// ---------------------------------------------------------------------------------------------
/** key -> { value, line } for "key : value" lines (first occurrence wins; padding collapsed in line) */
function parseSummary(text) {
  const map = new Map();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^([^:]+?)\s*:\s*(\S+)\s*$/.exec(raw);
    if (!m) continue;
    const key = m[1].trim();
    if (!map.has(key)) map.set(key, { value: m[2], line: raw.trim().replace(/\s+/g, ' ') });
  }
  return map;
}
function need(map, key, path) {
  const v = map.get(key);
  if (!v) throw new Error(`${path}: no "${key}" line`);
  return v;
}
const qpsEqual = (logQps, cfgQps) => Math.abs(Number(logQps) - cfgQps) < 1e-9;

// ---------------------------------------------------------------------------------------------
// Shared note text (copied from the m-trtllm-mlpv41-* rows of data/corpus/mlperf/llama2-70b.csv)
// ---------------------------------------------------------------------------------------------
const DATASET_OFFLINE = 'Llama-2-70b-chat on the MLPerf OpenOrca set (24,576 samples); per-sample prompt/output lengths vary and the log gives no means (output tokens per sample implied by the log = tokens/s / samples/s); lengths: prompt_tokens 222 is the mean tok_input_length of the 24,576 samples (222.33) in the per-sample summary mlperf-data/summaries/llama2-70b-99.csv of github.com/openshift-psap/performance-dashboard (Apache-2.0, commit 71007029fb5bced1d79808e7e64dc4c2af82ea55), computed here; output_tokens 294 is the reference run\'s "Tokens per sample: 294.45" (mlcommons/inference language/llama2-70b/README.md, Accuracy Target); each request\'s prompt and output drawn together from one of that summary\'s samples, scaled to those means (lengths openorca-mlperf: data/lengths/)';
const DATASET_SERVER = 'Llama-2-70b-chat on the MLPerf OpenOrca set (24,576 samples); per-sample prompt/output lengths vary and the log gives no means (output tokens per sample implied by the log = tokens/s / samples/s); latency converted ns->ms; lengths: prompt_tokens 222 is the mean tok_input_length of the 24,576 samples (222.33) in the per-sample summary mlperf-data/summaries/llama2-70b-99.csv of github.com/openshift-psap/performance-dashboard (Apache-2.0, commit 71007029fb5bced1d79808e7e64dc4c2af82ea55), computed here; output_tokens 294 is the reference run\'s "Tokens per sample: 294.45" (mlcommons/inference language/llama2-70b/README.md, Accuracy Target); each request\'s prompt and output drawn together from one of that summary\'s samples, scaled to those means (lengths openorca-mlperf: data/lengths/)';
const SCHED = 'the harness\'s capacity scheduler: trtllm_batch_sched_policy defaults to "max_util" (kMAX_UTILIZATION: admit while the KV cache lasts, pause sequences when it runs out) in code/harness/harness_llm/main_llm.cc of the submitter\'s code in the same repository, and neither the class nor its bases set trtllm_batch_sched_policy or enable_chunked_context';

const HEADER = ['id', 'split', 'kind', 'statistic', 'value', 'unit', 'stack', 'stack_version', 'gpu', 'model', 'dtype', 'kv_dtype', 'tp', 'ep', 'batch', 'request_rate_per_s', 'num_requests', 'prompt_tokens', 'output_tokens', 'lengths', 'source', 'url', 'licence', 'locator', 'notes', 'engine_args'];

const rows = [];
const ids = new Set();
function push(r) {
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(r.id)) throw new Error(`bad id ${r.id}`);
  if (ids.has(r.id)) throw new Error(`duplicate id ${r.id}`);
  ids.add(r.id);
  rows.push(HEADER.map((h) => (r[h] === undefined || r[h] === null ? '' : String(r[h]))));
}

for (const s of SYSTEMS) {
  const base = `closed/${s.submitter}`;
  // system description: accelerator and GPU count
  const sysJson = JSON.parse(read(`${base}/systems/${s.sys}.json`));
  const acc = sysJson.accelerator_model_name;
  if (!GPU_IDS[acc]) throw new Error(`${s.sys}: accelerator ${acc} not H100-SXM-80GB / H200-SXM-141GB / H100-NVL-94GB`);
  // a 4-GPU HGX board has no NVSwitch: its description names the NVLinks between each pair
  // ("6x 4th Gen NVLink, 900GB/s") where the 8-GPU boards say "NVLINK Switch"
  const directLinks = /^6x 4th Gen NVLink/i.test(sysJson.accelerator_interconnect ?? '') && Number(sysJson.accelerators_per_node) === 4;
  const gpu = directLinks && GPU_IDS[acc] === 'h100-80gb' ? 'h100-80gb-hgx4' : GPU_IDS[acc];
  const gpus = Number(sysJson.accelerators_per_node) * Number(sysJson.number_of_nodes);
  if (gpus !== s.gpus) throw new Error(`${s.sys}: ${gpus} GPUs in the system JSON, table says ${s.gpus}`);
  if (s.gpus % s.tp !== 0) throw new Error(`${s.sys}: ${s.gpus} GPUs not divisible by TP ${s.tp}`);
  const replicas = s.gpus / s.tp;

  // TensorRT-LLM pin
  const mk = read(`${base}/Makefile.build`);
  const pub = /^TRTLLM_PUBLIC_HASH\s*=\s*([0-9a-f]{40})\s*$/m.exec(mk)?.[1];
  const rel = /^USE_RELEASE_TRTLLM\s*\?=\s*(\d)/m.exec(mk)?.[1];
  if (pub !== TRTLLM_HASH || rel !== '1') throw new Error(`${s.submitter}: Makefile.build pins ${pub} (USE_RELEASE_TRTLLM ${rel}), not ${TRTLLM_HASH}`);
  const stackNote = `stack_version: closed/${s.submitter}/Makefile.build of inference_results_v4.1 checks out TensorRT-LLM at TRTLLM_PUBLIC_HASH ${TRTLLM_HASH} (USE_RELEASE_TRTLLM 1), the same commit as NVIDIA's v4.1 build, whose tensorrt_llm/version.py reads ${TRTLLM_VERSION} (the trtllm profile)`;
  const boardNote = directLinks ? ` on a 4-GPU HGX board without NVSwitch (accelerator_interconnect "${sysJson.accelerator_interconnect}": 6 NVLinks between each pair; gpu h100-80gb-hgx4)` : '';
  const sysDesc = `system ${s.sys} (${sysJson.system_name}): ${s.gpus}x ${acc.replace(/^NVIDIA /, '')}${boardNote}`;
  const source = `MLCommons, MLPerf Inference Datacenter v4.1 results, ${s.submitter.replaceAll('_', ' ')} closed-division submission, 2024`;
  const subId = s.submitter.toLowerCase().replaceAll('_', '-');
  const prefix = `m41-trtllm-${subId}-${s.short}-l2-70b-fp8-tp${s.tp}`;
  const common = { split: 'validation', stack: 'trtllm', stack_version: TRTLLM_VERSION, gpu, model: 'llama-2-70b', dtype: 'fp8', kv_dtype: '', tp: s.tp, ep: 1, prompt_tokens: 222, output_tokens: 294, lengths: 'openorca-mlperf', source, licence: 'Apache-2.0' };
  const summaryPath = (sc) => `${base}/results/${s.sys}/llama2-70b-99/${sc}/performance/run_1/mlperf_log_summary.txt`;
  const identicalNote = (sc) => {
    const a = read(summaryPath(sc));
    const b = tryRead(`${base}/results/${s.sys}/llama2-70b-99.9/${sc}/performance/run_1/mlperf_log_summary.txt`);
    return a === b ? `; the llama2-70b-99 ${sc} summary is byte-identical to the llama2-70b-99.9 one (the high-accuracy run submitted for both targets)` : '';
  };
  const qpsKey = (sc) => (sc === 'Offline' ? 'offline_expected_qps' : 'server_target_qps');
  const qpsNote = (c, sc) => (c.logQps === undefined
    ? `the class's ${qpsKey(sc)} ${c.qps} equals the log's target_qps`
    : `the class's ${qpsKey(sc)} ${c.qps} is not the log's target_qps ${c.logQps} (nor is NVIDIA's base class's): the file was edited after the run, so its batch and KV fraction are the class's as published, not certainly the run's`);
  const cfgWhere = (c, sc) => `closed/${s.submitter}/configs/llama2-70b/${c.file} of inference_results_v4.1 (commit ${commit}): class ${c.cls}, ${c.inherit}; max_num_tokens ${MAX_NUM_TOKENS} from GPUBaseConfig in configs/llama2-70b/__init__.py; ${qpsNote(c, sc)}`;

  if (s.offline) {
    const c = s.offline;
    const path = summaryPath('Offline');
    const m = parseSummary(read(path));
    if (!/VALID/.test(need(m, 'Result is', path).value)) throw new Error(`${path}: not VALID`);
    const tq = need(m, 'target_qps', path).value;
    if (!qpsEqual(tq, c.logQps ?? c.qps)) throw new Error(`${path}: target_qps ${tq} != class ${c.cls} ${c.logQps ?? c.qps}`);
    const tok = need(m, 'Tokens per second', path);
    const sps = need(m, 'Samples per second', path);
    const spq = need(m, 'samples_per_query', path).value;
    const spqInt = BigInt(spq);
    const exact = spqInt % BigInt(replicas) === 0n;
    const nreq = (spqInt / BigInt(replicas)).toString();
    const nreqNote = exact
      ? `num_requests ${nreq} = the system's samples_per_query ${spq} / ${replicas} replicas`
      : `num_requests ${nreq} = floor of the system's samples_per_query ${spq} / ${replicas} replicas (does not divide exactly)`;
    push({
      ...common,
      id: `${prefix}-b${c.batch}-orca-thr`,
      kind: 'throughput', statistic: 'mean', value: divDec(tok.value, replicas), unit: 'output_tok_s',
      batch: c.batch, request_rate_per_s: '', num_requests: nreq,
      url: `https://github.com/mlcommons/inference_results_v4.1/blob/main/${path}`,
      locator: `mlperf_log_summary.txt, Offline, "${tok.line}" for the ${s.gpus}-GPU system; divided by ${replicas} replicas`,
      notes: `${sysDesc} run as ${replicas} independent TP${s.tp} replicas (${cfgWhere(c, 'Offline')}): tensor_parallelism ${s.tp}, use_fp8 True, gpu_batch_size ${c.batch}, kvcache_free_gpu_mem_frac ${c.kv.toFixed(2)}; published ${tok.value} tok/s (${sps.line}) / ${replicas} = per replica; samples_per_query ${spq} for the whole system; ${DATASET_OFFLINE}; ${nreqNote}; ${stackNote}; engine_args from the same class: max_num_tokens ${MAX_NUM_TOKENS}, kvcache_free_gpu_mem_frac ${c.kv.toFixed(2)}, gpu_batch_size ${c.batch}; ${SCHED}${c.identical99 ? identicalNote('Offline') : ''}`,
      engine_args: `capacity_scheduler_policy=MAX_UTILIZATION kv_cache_free_gpu_mem_fraction=${c.kv} max_num_batched_tokens=${MAX_NUM_TOKENS}`,
    });
  }

  if (s.server) {
    const c = s.server;
    const path = summaryPath('Server');
    const m = parseSummary(read(path));
    if (!/VALID/.test(need(m, 'Result is', path).value)) throw new Error(`${path}: not VALID`);
    const tq = need(m, 'target_qps', path).value;
    if (!qpsEqual(tq, c.logQps ?? c.qps)) throw new Error(`${path}: target_qps ${tq} != class ${c.cls} ${c.logQps ?? c.qps}`);
    const sched = need(m, 'Scheduled samples per second', path);
    const comp = need(m, 'Completed samples per second', path);
    const toks = need(m, 'Completed tokens per second', path);
    const rate = divDec(sched.value, replicas);
    const q = `${prefix}-q${idNum(rate)}-orca`;
    const url = `https://github.com/mlcommons/inference_results_v4.1/blob/main/${path}`;
    const rateLoc = `request_rate_per_s = "${sched.line}" / ${replicas}`;
    const notes = `${sysDesc} = ${replicas} TP${s.tp} replicas (${cfgWhere(c, 'Server')}): tensor_parallelism ${s.tp}, use_fp8 True, gpu_batch_size ${c.batch}, kvcache_free_gpu_mem_frac ${c.kv.toFixed(2)}; request rate and throughput are the system figures divided by ${replicas} (scheduled ${sched.value} samples/s, completed ${comp.value} samples/s, ${toks.value} tok/s); latency statistics are per request as logged (each replica sees ~1/${replicas} of the Poisson stream); MLPerf Server limits TTFT<=2 s, TPOT<=200 ms; ${DATASET_SERVER}; ${stackNote}; engine_args from the same class: max_num_tokens ${MAX_NUM_TOKENS}, kvcache_free_gpu_mem_frac ${c.kv.toFixed(2)}, gpu_batch_size ${c.batch} (max_num_seqs); ${SCHED}${c.identical99 ? identicalNote('Server') : ''}`;
    const engine = `capacity_scheduler_policy=MAX_UTILIZATION kv_cache_free_gpu_mem_fraction=${c.kv} max_num_batched_tokens=${MAX_NUM_TOKENS} max_num_seqs=${c.batch}`;
    const srv = { ...common, batch: '', request_rate_per_s: rate, num_requests: '', url, notes, engine_args: engine };
    push({ ...srv, id: `${q}-sthr`, kind: 'serving_throughput', statistic: 'mean', value: divDec(toks.value, replicas), unit: 'output_tok_s',
      locator: `mlperf_log_summary.txt, Server, "${toks.line}" for the ${s.gpus}-GPU system, divided by ${replicas} replicas; ${rateLoc}` });
    push({ ...srv, id: `${q}-sthr-rps`, kind: 'serving_throughput', statistic: 'mean', value: divDec(comp.value, replicas), unit: 'req_s',
      locator: `mlperf_log_summary.txt, Server, "${comp.line}" for the ${s.gpus}-GPU system, divided by ${replicas} replicas; ${rateLoc}` });
    const lat = [
      ['ttft', 'serving_ttft', 'mean', 'Mean First Token latency (ns)'],
      ['ttft-p99', 'serving_ttft', 'p99', '99.00 percentile first token latency (ns)'],
      ['tpot', 'serving_tpot', 'mean', 'Mean Time to Output Token (ns)'],
      ['tpot-p99', 'serving_tpot', 'p99', '99.00 percentile time to output token (ns)'],
    ];
    for (const [suffix, kind, stat, key] of lat) {
      const v = need(m, key, path);
      push({ ...srv, id: `${q}-${suffix}`, kind, statistic: stat, value: nsToMs(v.value), unit: 'ms',
        locator: `mlperf_log_summary.txt, Server, "${v.line}"; converted ns->ms (per request, not divided); ${rateLoc}` });
    }
  }
}

writeFileSync(out, stringify([HEADER, ...rows]));
console.error(`wrote ${rows.length} rows from ${SYSTEMS.length} systems (commit ${commit}) to ${out}`);
