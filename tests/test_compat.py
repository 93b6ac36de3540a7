"""Each compatibility fix, shown failing without amd_mm and working with it
(fresh interpreters, so nothing imported here leaks into the check)."""
import subprocess
import sys

import pytest

import amd_mm.compat as compat


def run_python(code):
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)


def test_torchvision_beside_cpu_torch():
    if not compat._cpu_torch_beside_cuda_torchvision():
        pytest.skip('torchvision matches torch here: the fix is a no-op')
    plain = run_python('import torchvision')
    assert plain.returncode != 0
    assert 'torchvision::nms does not exist' in plain.stderr
    fixed = run_python('import amd_mm, torchvision.transforms, torch\n'
                       'from torchvision.ops import box_iou\n'
                       'print(float(box_iou(torch.tensor([[0., 0, 2, 2]]), '
                       'torch.tensor([[1., 1, 3, 3]]))))\n'
                       "print('torchvision_ops_schema' in amd_mm.compat.APPLIED)")
    assert fixed.returncode == 0, fixed.stderr
    iou, applied = fixed.stdout.split()
    assert abs(float(iou) - 1 / 7) < 1e-6 and applied == 'True'


TORCHVISION_SCHEMAS = (  # the first fix, inline, so only the DRN one is missing
    'import torch\nlib = torch.library.Library("torchvision", "DEF")\n'
    'lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")\n'
    'lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")\n')


def test_mmaction_models_without_drn():
    # transformers hidden: with transformers 5 (the teachers extra) the plain
    # import fails earlier, in mmaction's multimodal models (another fix)
    plain = run_python('import sys\nsys.modules["transformers"] = None\n'
                       + TORCHVISION_SCHEMAS + 'import mmaction.models')
    if plain.returncode == 0:
        pytest.skip('this mmaction2 ships DRN: the fix is a no-op')
    assert "No module named 'mmaction.models.localizers.drn'" in plain.stderr
    fixed = run_python(
        'import amd_mm, mmaction.models\n'
        'from mmaction.models import VisionTransformer, Recognizer3D\n'
        'from mmaction.models.localizers.drn.drn import DRN\n'
        'try:\n    DRN()\nexcept NotImplementedError as e:\n    print("raised", "2714" in str(e))')
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.strip() == 'raised True'


def test_mmengine_checkpoint_under_weights_only(tmp_path):
    path = tmp_path / 'ckpt.pth'
    make = run_python(
        'import torch, numpy as np\n'
        'from mmengine.logging import HistoryBuffer\n'
        'h = HistoryBuffer(); h.update(1.5)\n'
        "torch.save({'message_hub': {'log_scalars': {'loss': h}}, 'seed': np.int64(3),"
        f" 'arr': np.arange(3.)}}, {str(path)!r})")
    assert make.returncode == 0, make.stderr
    load = f'import torch\nckpt = torch.load({str(path)!r})\nprint(ckpt["message_hub"]["log_scalars"]["loss"].current())'
    plain = run_python(load)
    assert plain.returncode != 0 and 'HistoryBuffer' in plain.stderr
    fixed = run_python('import amd_mm\n' + load)
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.strip() == '1.5'
    # the safe loader stays on for anything else
    evil = tmp_path / 'evil.pth'
    unsafe = run_python(
        'import torch, argparse\n'
        f'torch.save({{"x": argparse.Namespace(a=1)}}, {str(evil)!r})\n'
        f'import amd_mm\ntorch.load({str(evil)!r})')
    assert unsafe.returncode != 0 and 'Weights only load failed' in unsafe.stderr


def test_fixes_are_idempotent():
    assert compat.torchvision_ops_schema() is False
    assert compat.mmaction_drn_placeholder() is False
    assert compat.mmengine_safe_globals() is False
    assert compat.mmengine_cpu_distributed() is False
    assert compat.multimodal_transformers5() is False


def test_mmengine_distributed_on_cpu():
    import torch
    if torch.cuda.is_available():
        pytest.skip('CUDA present: the fix is a no-op')
    code = ('import os, torch\n'
            "os.environ.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', "
            "MASTER_ADDR='127.0.0.1', MASTER_PORT=str(23000 + os.getpid() % 1000))\n"
            '{pre}from mmengine.dist import init_dist\n'
            "init_dist('pytorch', backend='gloo')\n"
            'from mmengine.model import MMDistributedDataParallel\n'
            'ddp = MMDistributedDataParallel(torch.nn.Linear(2, 2), device_ids=[0])\n'
            'print(torch.distributed.get_world_size(), ddp.device_ids)')
    plain = run_python(code.format(pre=TORCHVISION_SCHEMAS))
    assert plain.returncode != 0 and '_cuda_setDevice' in plain.stderr
    fixed = run_python(code.format(pre='import amd_mm\n'))
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.strip() == '1 None'


# An interpreter that looks like one with transformers installed: mmpretrain's
# multimodal switch on, and ``transformers`` reporting VERSION.
FAKE_TRANSFORMERS = '''
from importlib import metadata
real_version = metadata.version
metadata.version = lambda name: VERSION if name == 'transformers' else real_version(name)
from mmpretrain.utils import dependency
from mmaction.utils import dependency as mmaction_dependency
dependency.WITH_MULTIMODAL = mmaction_dependency.WITH_MULTIMODAL = True
'''


def test_models_beside_transformers5():
    fixed = run_python(
        FAKE_TRANSFORMERS.replace('VERSION', "'5.17.0'")
        + 'import amd_mm, mmpretrain.models, mmaction.models\n'
        'from mmpretrain.registry import MODELS\n'
        'print(dependency.WITH_MULTIMODAL, mmaction_dependency.WITH_MULTIMODAL,'
        ' amd_mm.compat.APPLIED[-1])\n'
        'try:\n    MODELS.build(dict(type="BlipCaption"))\n'
        'except Exception as e:\n    print("placeholder", type(e).__name__)')
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.split('\n')[:2] == [
        'False False multimodal_transformers5', 'placeholder ImportError']
    # transformers 4: mmpretrain's own choice is left alone
    # (compat.py loaded alone: mmpretrain.models would import transformers)
    kept = run_python(
        FAKE_TRANSFORMERS.replace('VERSION', "'4.40.0'")
        + 'import importlib.util\n'
        f'spec = importlib.util.spec_from_file_location("c", {compat.__file__!r})\n'
        'c = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(c)\n'
        'print(c.multimodal_transformers5(), dependency.WITH_MULTIMODAL)')
    assert kept.returncode == 0, kept.stderr
    assert kept.stdout.strip() == 'False True'
