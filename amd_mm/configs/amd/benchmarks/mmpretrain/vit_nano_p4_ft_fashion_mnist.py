"""The ``read_base()`` form of ``configs/amd/benchmarks/mmpretrain/vit-nano-p4_ft-fashion-mnist.py``
(amd_mm/configs/__init__.py): that file loaded, so its values live there only."""
from mmengine.config import Config

globals().update(Config.fromfile(
    __file__.rpartition('/configs/')[0] + '/.mim/configs/'
    'amd/benchmarks/mmpretrain/vit-nano-p4_ft-fashion-mnist.py').to_dict())
