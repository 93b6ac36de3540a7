"""The ``read_base()`` form of ``configs/amd/benchmarks/mmaction2/vit-base-p16_16x2x1-30e_ssv2.py``
(amd_mm/configs/__init__.py): that file loaded, so its values live there only."""
from mmengine.config import Config

globals().update(Config.fromfile(
    __file__.rpartition('/configs/')[0] + '/.mim/configs/'
    'amd/benchmarks/mmaction2/vit-base-p16_16x2x1-30e_ssv2.py').to_dict())
