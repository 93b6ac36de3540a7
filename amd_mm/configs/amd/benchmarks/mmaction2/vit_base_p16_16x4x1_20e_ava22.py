"""The ``read_base()`` form of ``configs/amd/benchmarks/mmaction2/vit-base-p16_16x4x1-20e_ava22.py``
(amd_mm/configs/__init__.py): that file loaded, so its values live there only."""
from mmengine.config import Config

globals().update(Config.fromfile(
    __file__.rpartition('/configs/')[0] + '/.mim/configs/'
    'amd/benchmarks/mmaction2/vit-base-p16_16x4x1-20e_ava22.py').to_dict())
