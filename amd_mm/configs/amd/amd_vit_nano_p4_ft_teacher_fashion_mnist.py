"""The ``read_base()`` form of ``configs/amd/amd_vit-nano-p4_ft-teacher_fashion-mnist.py``
(amd_mm/configs/__init__.py): that file loaded, so its values live there only."""
from mmengine.config import Config

globals().update(Config.fromfile(
    __file__.rpartition('/configs/')[0] + '/.mim/configs/'
    'amd/amd_vit-nano-p4_ft-teacher_fashion-mnist.py').to_dict())
