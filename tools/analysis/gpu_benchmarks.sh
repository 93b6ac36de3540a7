#!/usr/bin/env bash
# The GPU benchmark suite behind docs/benchmarks.md: every table there that
# says "GPU" comes from one run of this script on one machine.
#   bash tools/analysis/gpu_benchmarks.sh OUT_DIR [quick]
# Each benchmark prints its tables to the terminal and to OUT_DIR/NAME.txt;
# a failing one is reported and the suite goes on. `quick` runs a smoke
# version of the list (2 steps each) to check a new machine first.
set -u
OUT=${1:?usage: gpu_benchmarks.sh OUT_DIR [quick]}
QUICK=${2:-}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
BENCH="${PYTHON:-python3} tools/analysis/benchmark.py"
STEPS="--steps 20 --warmup 5"
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

S_IMG=configs/amd/vit-s_in1k.py
B_IMG=configs/amd/vit-b_in1k.py
S_VID=configs/amd/vit-s_k400.py
B_VID=configs/amd/vit-b_k400.py
TINY_VID=configs/amd/amd_vit-nano-p16_videos.py
# the tiny video config's loader producing 16x224x224 clips (8x14x14 masks)
CLIP16="train_dataloader.dataset.pipeline.1.min_frames=16 \
train_dataloader.dataset.pipeline.2.clip_len=16 \
train_dataloader.dataset.pipeline.4.transforms.0.input_size=224 \
train_dataloader.dataset.pipeline.4.transforms.1.scale=(224,224) \
train_dataloader.dataset.masking.input_size=(8,14,14)"

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
${PYTHON:-python3} -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)" | tee -a "$OUT/gpu.txt"

# video ViT-B <- ViT-L at 16x224x224: 16 videos x 4 repeated views = 64
# clips per step, the official per-GPU batch; --flops: model FLOPs by part and
# the fraction of the device's dense bf16 peak (docs/benchmarks.md)
run vid_b_b64_bf16 300 --compare $B_VID::mae $B_VID $B_VID::with_cp \
    --batch-size 16 $STEPS --teacher-full --amp --flops
# does a 2-worker video loader keep up with the ViT-S step? (real clips,
# decord, one decode per 4 views; 16 videos = 64 clips per batch)
run loader_16x224_w2 200 $TINY_VID --data --no-step --workers 2 --batch-size 16 \
    --cfg-options $CLIP16
run loader_16x224_w10 200 $TINY_VID --data --no-step --workers 10 --batch-size 16 \
    --cfg-options $CLIP16
# image ViT-S <- ViT-B at 224: the issue's batch 8, then a batch that fills the GPU
run img_s_b8_fp32 200 --compare $S_IMG::mae $S_IMG --batch-size 8 $STEPS --teacher-full
run img_s_b8_bf16 200 --compare $S_IMG::mae $S_IMG $S_IMG::with_cp \
    --batch-size 8 $STEPS --teacher-full --amp
run img_s_b128_bf16 200 --compare $S_IMG::mae $S_IMG $S_IMG::with_cp \
    --batch-size 128 $STEPS --teacher-full --amp
run vid_s_b64_bf16 200 --compare $S_VID::mae $S_VID --batch-size 16 $STEPS --teacher-full --amp
# paper-size image: ViT-B <- ViT-L, AMD and DMAE (teacher stops at block 18 of 24)
run img_b_b128_bf16 200 --compare $B_IMG::mae $B_IMG configs/dmae/vit-b_in1k.py \
    --batch-size 128 $STEPS --teacher-full --amp --flops
# the tiny video config (1 video x 4 views)
run vid_tiny 200 --compare $TINY_VID::mae $TINY_VID $STEPS --teacher-full
# torch.compile (student, teacher, neck, head) on the ViT-S image pair (~2 min
# of compilation; NO_COMPILE=1 skips it)
[ -z "${NO_COMPILE:-}" ] && run img_s_b128_bf16_compile 500 --compare $S_IMG::mae $S_IMG \
    --batch-size 128 $STEPS --amp --compile --no-breakdown
echo "===== suite finished"
