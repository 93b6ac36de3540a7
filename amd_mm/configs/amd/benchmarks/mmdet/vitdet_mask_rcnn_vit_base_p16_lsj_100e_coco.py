"""The ``read_base()`` form of
``configs/amd/benchmarks/mmdet/vitdet_mask-rcnn_vit-base-p16_lsj-100e_coco.py``
(amd_mm/configs/__init__.py): that file loaded, so its values live there only."""
from mmengine.config import Config

globals().update(Config.fromfile(
    __file__.rpartition('/configs/')[0] + '/.mim/configs/'
    'amd/benchmarks/mmdet/vitdet_mask-rcnn_vit-base-p16_lsj-100e_coco.py').to_dict())
