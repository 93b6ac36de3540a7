#!/usr/bin/env bash
# The controlled studies (amd_mm/apis/study.py) on a machine with many cores
# and a GPU: the asymmetry study (image) and the motion study (video) side by
# side, each in its own work folder, every job one process with one torch
# thread (they share the GPU). Their CSV, tables, figure and logs are copied
# to OUT_DIR as they grow, so a run stopped early keeps what it finished.
#   bash tools/analysis/gpu_studies.sh OUT_DIR [SECONDS] [IMAGE_JOBS] [VIDEO_JOBS]
# SECONDS: wall-clock limit of both studies (default: none). Needs
# data/fashion-mnist and data/moving_fashion_mnist (the video demo makes it;
# a machine without PyAV cannot encode it, so bring it). STUDY_ARGS: more
# options for both studies (e.g. a quick check: --iters 2 --val-seeds 0).
set -u
OUT=${1:?usage: gpu_studies.sh OUT_DIR [SECONDS] [IMAGE_JOBS] [VIDEO_JOBS]}
LIMIT=${2:-0}
IMAGE_JOBS=${3:-9}
VIDEO_JOBS=${4:-6}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/../.."
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
WORK=${STUDY_WORK:-work_dirs/study}
{
  nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo 'no GPU'
  $PY -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
  echo "cpu cores: $(nproc); image jobs $IMAGE_JOBS, video jobs $VIDEO_JOBS; limit ${LIMIT}s"
  git rev-parse --short HEAD 2>/dev/null | sed 's/^/commit /'
} > "$OUT/machine.txt" 2>&1
cat "$OUT/machine.txt"

study() {  # study NAME JOBS
    timeout "$LIMIT" $PY tools/demo.py --study "$1" --jobs "$2" --work-dir "$WORK/$1" \
        ${STUDY_ARGS:-} > "$WORK/$1.log" 2>&1
    echo "$1 exited with $?" >> "$WORK/$1.log"
}
collect() {
    for name in asymmetry motion; do
        [ -f "$WORK/$name/results.csv" ] && cp "$WORK/$name/results.csv" "$OUT/${name}_results.csv"
        for f in "$name.md" "$name.png"; do
            [ -f "$WORK/$name/$f" ] && cp "$WORK/$name/$f" "$OUT/"
        done
        # the runner's own lines (starts, scores, failures), not the Runner logs
        [ -f "$WORK/$name.log" ] && grep -E '^\[demo|Error|error|exited' "$WORK/$name.log" \
            > "$OUT/${name}_log.txt"
    done
}
mkdir -p "$WORK"
study asymmetry "$IMAGE_JOBS" &
IMAGE=$!
study motion "$VIDEO_JOBS" &
VIDEO=$!
while kill -0 $IMAGE 2>/dev/null || kill -0 $VIDEO 2>/dev/null; do
    collect
    sleep 15
done
collect
tail -n 3 "$OUT"/*_log.txt
