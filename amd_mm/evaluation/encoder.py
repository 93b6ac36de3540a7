"""The encoder a probe or fine-tune scores: a pre-training config's student
or teacher backbone, built at its seeded initialisation and loaded strictly."""
import copy
from typing import Optional

import torch


def build_encoder(config: str, kind: str = 'student', ckpt: Optional[str] = None, seed: int = 0,
                  options: Optional[dict] = None):
    """``(backbone, data_preprocessor cfg)`` of ``config`` (with ``options``
    merged): its student or teacher backbone (image or video), initialised
    under ``seed``, then the weights of ``ckpt`` (a Runner checkpoint's
    ``backbone.*`` or a teacher file) when one is given."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from ..converters import load_vit_checkpoint
    from ..paths import resolve
    if kind not in ('student', 'teacher'):
        raise ValueError(f"kind must be 'student' or 'teacher', got {kind!r}")
    cfg = Config.fromfile(resolve(config))
    cfg.merge_from_dict(options or {})
    backbone_cfg = copy.deepcopy(cfg.model.teacher.backbone if kind == 'teacher'
                                 else cfg.model.backbone)
    backbone_cfg.pop('feature_blocks', None)
    torch.manual_seed(seed)
    backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    if ckpt is not None:
        load_vit_checkpoint(backbone, ckpt)
    return backbone, cfg.model.data_preprocessor
