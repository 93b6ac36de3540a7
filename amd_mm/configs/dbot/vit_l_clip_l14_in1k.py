"""The ``read_base()`` form of ``configs/dbot/vit-l_clip-l14_in1k.py``
(amd_mm/configs/__init__.py): that file loaded, so its values live there only."""
from mmengine.config import Config

globals().update(Config.fromfile(
    __file__.rpartition('/configs/')[0] + '/.mim/configs/'
    'dbot/vit-l_clip-l14_in1k.py').to_dict())
