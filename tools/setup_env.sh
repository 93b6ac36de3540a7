#!/usr/bin/env bash
# One-shot, idempotent set-up of the amd_mm environment (see README "Install").
#   bash tools/setup_env.sh            # creates .venv and installs the pinned stack + amd_mm
# Env: AMD_MM_VENV (default .venv), AMD_MM_TORCH=cpu|cuda (default: cuda if nvidia-smi works).
# Each step prints "[k/N] name" and is skipped when its result is already present; a failing
# step stops the script with its name.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
VENV="${AMD_MM_VENV:-$ROOT/.venv}"
N=6
T0=$(date +%s)

step() { echo "[$1/$N] $2 ($(( $(date +%s) - T0 ))s elapsed)"; }
fail() { echo "SETUP FAILED at step: $CURRENT" >&2; }
trap fail ERR

if [ -z "${AMD_MM_TORCH:-}" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then AMD_MM_TORCH=cuda; else AMD_MM_TORCH=cpu; fi
fi

CURRENT="1 create venv"; step 1 "create venv at $VENV"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
PIP="$PY -m pip --disable-pip-version-check"

CURRENT="2 torch ($AMD_MM_TORCH)"; step 2 "torch + torchvision + build deps ($AMD_MM_TORCH)"
if [ "$AMD_MM_TORCH" = cuda ]; then TORCH="torch==2.14.1 torchvision==0.29.1"; else TORCH="torch==2.13.0 torchvision==0.28.0"; fi
if ! $PY -c "import importlib.metadata as m, torch, setuptools, wheel, ninja, psutil; m.version('torchvision')" 2>/dev/null; then
  $PIP install -q $TORCH "setuptools>=77.0.3,<81" wheel ninja psutil
fi

CURRENT="3 mmcv 2.1.0 with compiled ops"; step 3 "full mmcv 2.1.0 with ops (first build ~15 min on 2 cores)"
if ! $PY -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" 2>/dev/null; then
  MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" $PIP install --no-build-isolation mmcv==2.1.0
fi

CURRENT="4 OpenMMLab libraries"; step 4 "mmengine, mmpretrain, mmaction2, mmdet, mmseg, decord, av, mim, tensorboard, timm, transformers, test tools"
# timm/transformers are looked up, not imported: they import torchvision,
# which on the CPU torch build works only after amd_mm's compat fix
if ! $PY -c "import mmengine, mmpretrain, mmaction, mmdet, mmseg, decord, av, mim, tensorboard, pytest, skvideo, matplotlib, pycocotools" 2>/dev/null \
    || ! $PY -c "import importlib.util as u; assert all(u.find_spec(m) for m in ('timm', 'transformers', 'safetensors'))" 2>/dev/null; then
  # mmsegmentation (+ its ftfy, regex) only for the ADE20K transfer config;
  # openmim for `mim train/test/search amd_mm`; tensorboard for --tensorboard;
  # pycocotools for mmdet's CocoMetric (tools/demo_det.py, fashion canvases);
  # timm, transformers, safetensors for teachers from those libraries (the
  # `teachers` extra, docs/teachers.md)
  $PIP install -q mmengine==0.10.7 mmpretrain==1.2.0 mmaction2==1.2.0 mmdet==3.3.0 decord==0.6.0 av \
    mmsegmentation==1.2.2 ftfy regex openmim==0.3.9 tensorboard pytest scikit-video matplotlib \
    pycocotools==2.0.11 timm transformers safetensors
fi

CURRENT="5 amd_mm (editable)"; step 5 "amd_mm itself (pip install -e .[tests]) + site-packages/amd_mm link for mim"
if ! $PY -c "import importlib.metadata as m; m.version('amd-mm')" 2>/dev/null; then
  $PIP install -q --no-build-isolation --no-deps -e ".[tests]"
fi
# mim (and MMEngine without amd_mm's compat fix) look for <site-packages>/amd_mm/.mim;
# a PEP 660 editable install keeps the package in the checkout and has no folder
# there, so link it (the link points at this checkout: nothing is copied).
SITE="$($PY -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
if [ ! -e "$SITE/amd_mm" ] || [ "$(readlink "$SITE/amd_mm")" != "$ROOT/amd_mm" ]; then
  if [ -L "$SITE/amd_mm" ] || [ ! -e "$SITE/amd_mm" ]; then ln -sfn "$ROOT/amd_mm" "$SITE/amd_mm"; fi
fi

CURRENT="6 data"; step 6 "real data: Fashion-MNIST and the sample videos into data/"
$PY tools/data/fetch_data.py

$PY -c "import torch, mmcv, mmengine, mmpretrain, mmaction, mmdet, mim, amd_mm, importlib.metadata as md; print('torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmengine', mmengine.__version__, '| mmpretrain', mmpretrain.__version__, '| mmaction2', mmaction.__version__, '| mmdet', mmdet.__version__, '| openmim', md.version('openmim'), '| amd_mm', amd_mm.__version__)"
echo "set-up done in $(( $(date +%s) - T0 ))s; activate with: . $VENV/bin/activate"
