#!/usr/bin/env bash
# The GPU benchmark suite behind docs/benchmarks.md (its GPU table comes from
# one run of this script on one machine; about 8 minutes).
#   bash tools/analysis/gpu_benchmarks.sh OUT_DIR [OFFICIAL_DIR] [quick]
# OFFICIAL_DIR: a checkout of https://github.com/MCG-NJU/AMD; its engine's
# training step is timed in the same process as amd_mm's, interleaved (no
# row without it). `quick`: 2 steps each, to check a new machine first.
# Each benchmark prints its tables to the terminal and to OUT_DIR/NAME.txt;
# a failing one is reported and the suite goes on.
# On a machine with its own torch and no package index, the Python packages
# it needs besides torch travel as wheels: mmengine, mmcv-lite, mmpretrain,
# mmaction2, decord, addict, yapf, termcolor, model-index (not `modelindex`),
# mat4py, ordered-set, platformdirs, importlib-metadata<10 (10 needs
# lazy_importer) and, for OFFICIAL_DIR, tensorboardX (its utils.py imports it).
set -u
OUT=${1:?usage: gpu_benchmarks.sh OUT_DIR [OFFICIAL_DIR] [quick]}
OFFICIAL=${2:-}
QUICK=${3:-}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
BENCH="${PYTHON:-python3} tools/analysis/benchmark.py"
STEPS="--steps 15 --warmup 5"
[ -n "$QUICK" ] && STEPS="--steps 2 --warmup 1"

run() {  # run NAME TIMEOUT_S ARGS...
    local name=$1 limit=$2
    shift 2
    echo "===== $name: benchmark.py $*"
    local start=$SECONDS
    if timeout "$limit" $BENCH "$@" 2>&1 | tee "$OUT/$name.txt"; then
        echo "===== $name done in $((SECONDS - start)) s"
    else
        echo "===== $name FAILED or timed out (limit $limit s) after $((SECONDS - start)) s"
    fi
}

B_VID=configs/amd/vit-b_k400.py
B_IMG=configs/amd/vit-b_in1k.py
TINY_VID=configs/amd/amd_vit-nano-p16_videos.py
# per-row changes, each on top of the previous row (bf16 rows: no loss scaling)
FP16="optim_wrapper.dtype=float16::optim_wrapper.loss_scale=dynamic"
SCALED="optim_wrapper.loss_scale=dynamic"   # bf16 with the dynamic scaler (before)
COMPILE="compile=True"                      # MMEngine's compile key: train_step
# the tiny video config's loader producing 16x224x224 clips (8x14x14 masks)
CLIP16="train_dataloader.dataset.pipeline.1.min_frames=16 \
train_dataloader.dataset.pipeline.2.clip_len=16 \
train_dataloader.dataset.pipeline.4.transforms.0.input_size=224 \
train_dataloader.dataset.pipeline.4.transforms.1.scale=(224,224) \
train_dataloader.dataset.masking.input_size=(8,14,14)"

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  ${PYTHON:-python3} -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
  echo "cpu cores: $(nproc)"
  git rev-parse --short HEAD 2>/dev/null | sed 's/^/commit /'
  date -u +"date %Y-%m-%d"
} | tee "$OUT/machine.txt"

# video AMD ViT-B <- ViT-L, 16x224x224, 16 videos x 4 views = 64 clips (the
# official per-GPU batch): the official engine's step (fp16), amd_mm in fp16,
# then bf16 with the scaler, bf16, + fused AdamW (the configs' default);
# model FLOPs and the fraction of the dense bf16 peak (no per-part syncs)
OFFICIAL_ARG=()
[ -n "$OFFICIAL" ] && OFFICIAL_ARG=(--official "$OFFICIAL")
NOFUSED="optim_wrapper.optimizer.fused=False"
run vid_b_b64 300 "${OFFICIAL_ARG[@]}" --interleave --compare \
    "$B_VID::$FP16::$NOFUSED" "$B_VID::$SCALED::$NOFUSED" "$B_VID::$NOFUSED" "$B_VID" \
    --labels "amd_mm fp16" "amd_mm bf16 + scaler" "amd_mm bf16" "+ fused AdamW" \
    --batch-size 16 $STEPS --amp bf16 --flops --no-breakdown
# the same step with train_step compiled (MMEngine's `compile` key), alone: a
# compiler failure must not take the rows above with it
run vid_b_b64_compiled 240 --compare "$B_VID" "$B_VID::$COMPILE" \
    --labels "amd_mm bf16" "+ compiled step" --interleave \
    --batch-size 16 $STEPS --amp bf16 --flops --no-breakdown
# image AMD ViT-B <- ViT-L, 224, 128 images
run img_b_b128 150 --interleave --compare "$B_IMG::$SCALED::$NOFUSED" "$B_IMG::$NOFUSED" \
    "$B_IMG" --labels "amd_mm bf16 + scaler" "amd_mm bf16" "+ fused AdamW" \
    --batch-size 128 $STEPS --amp bf16 --flops --no-breakdown
# the real-video loader at 16x224x224 (decord, one decode per 4 views; 16
# videos = 64 clips per batch) with 4 and 15 workers
for W in 4 15; do
  run loader_16x224_w$W 90 $TINY_VID --data --no-step --workers $W --batch-size 16 \
      --cfg-options $CLIP16
done
echo "===== suite finished"
