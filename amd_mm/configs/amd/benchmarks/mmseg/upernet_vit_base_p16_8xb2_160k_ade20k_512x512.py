"""The ``read_base()`` form of
``configs/amd/benchmarks/mmseg/upernet_vit-base-p16_8xb2-160k_ade20k-512x512.py``
(amd_mm/configs/__init__.py): that file loaded, so its values live there only."""
from mmengine.config import Config

globals().update(Config.fromfile(
    __file__.rpartition('/configs/')[0] + '/.mim/configs/'
    'amd/benchmarks/mmseg/upernet_vit-base-p16_8xb2-160k_ade20k-512x512.py').to_dict())
