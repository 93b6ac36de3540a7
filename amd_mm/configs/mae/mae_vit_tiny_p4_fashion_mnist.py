"""The ``read_base()`` form of ``configs/mae/mae_vit-tiny-p4_fashion-mnist.py``
(amd_mm/configs/__init__.py): that file loaded, so its values live there only."""
from mmengine.config import Config

globals().update(Config.fromfile(
    __file__.rpartition('/configs/')[0] + '/.mim/configs/'
    'mae/mae_vit-tiny-p4_fashion-mnist.py').to_dict())
