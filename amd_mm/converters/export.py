"""amd_mm pre-training checkpoint -> the weights a downstream package loads.

One function per target, each returning the checkpoint to save, checked
first: every weight of the target backbone must come from the student
(:class:`CheckpointMismatchError` otherwise).

* :func:`to_mmpretrain`: ``{'state_dict': {'backbone.*'}}`` for
  ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``
  in mmpretrain's ``ImageClassifier``;
* :func:`to_mmaction2`: the same for MMAction2's ``Recognizer3D`` /
  ``FastRCNN`` with the VideoMAE ``VisionTransformer``;
* :func:`to_timm`: ``{'model': {timm keys}}``, the official-MAE file that
  ViTDet (mmdet's project or amd_mm's :class:`~amd_mm.downstream.ViTDet`)
  reads;
* :func:`to_mmseg`: ``{'state_dict': {bare keys}}`` for MMSegmentation's
  ``MAE`` backbone, whose loader ignores ``prefix``.
"""
from typing import Optional

from mmengine.config import Config

from .checks import (check_complete, mmaction_reference, mmpretrain_reference,
                     timm_reference)
from .io import load_checkpoint, save_checkpoint
from .keys import backbone_of, layout_of, mmpretrain_to_timm, move_final_norm


def configured_depth(checkpoint: dict) -> Optional[int]:
    """The student's depth from the config an MMEngine runner saves in
    ``meta['cfg']`` (None without one), so that a checkpoint missing its
    last blocks is caught, not sized down."""
    text = (checkpoint.get('meta') or {}).get('cfg')
    if not isinstance(text, str):
        return None
    try:
        backbone = Config.fromstring(text, '.py').model.backbone
    except Exception:  # not an amd_mm config: sizes come from the weights
        return None
    if 'depth' in backbone:  # MMAction2 layout
        return int(backbone.depth)
    arch = backbone.get('arch', 'base')  # mmpretrain layout (both default to 12)
    if isinstance(arch, str):
        from mmpretrain.models import VisionTransformer
        return VisionTransformer.arch_zoo[arch.lower()]['num_layers']
    return int(arch['num_layers'])


def _student(checkpoint: dict, layout: str, target: str):
    """The student's weights and depth (configured, else counted)."""
    backbone = backbone_of(checkpoint)
    found = layout_of(backbone)
    if found != layout:
        raise ValueError(f'--to {target} takes an amd_mm student in the {layout} '
                         f'layout (image: mmpretrain, video: mmaction2); this '
                         f'one is {found}')
    return backbone, configured_depth(checkpoint)


def _openmmlab_backbone(checkpoint: dict, layout: str, final_norm: str,
                        reference_fn) -> dict:
    """The student in its own layout with the final norm in the slot the
    target config reads, checked complete, under ``backbone.``."""
    backbone, depth = _student(checkpoint, layout, layout)
    backbone = move_final_norm(backbone, final_norm)
    reference = reference_fn(backbone, final_norm, depth)
    weights = check_complete(backbone, reference, layout)
    return dict(meta=dict(converted_to=layout),
                state_dict={'backbone.' + k: v for k, v in weights.items()})


def to_mmpretrain(checkpoint: dict, final_norm: str = 'ln2') -> dict:
    """An image student as mmpretrain ``VisionTransformer`` weights.

    Args:
        checkpoint (dict): an amd_mm pre-training checkpoint (``backbone.*``).
        final_norm (str): ``'ln2'`` for the MAE fine-tune ViT
            (``final_norm=False, out_type='avg_featmap'``), ``'ln1'`` for
            ``final_norm=True``.

    Returns:
        dict: ``{'meta': ..., 'state_dict': {'backbone.*': ...}}``.
    """
    return _openmmlab_backbone(checkpoint, 'mmpretrain', final_norm,
                               mmpretrain_reference)


def to_mmaction2(checkpoint: dict, final_norm: str = 'fc_norm') -> dict:
    """A video student as MMAction2 (VideoMAE) ``VisionTransformer`` weights.

    Args:
        checkpoint (dict): an amd_mm video pre-training checkpoint.
        final_norm (str): ``'fc_norm'`` for recognition
            (``use_mean_pooling=True``), ``'norm'`` for AVA
            (``use_mean_pooling=False, return_feat_map=True``).

    Returns:
        dict: ``{'meta': ..., 'state_dict': {'backbone.*': ...}}``.
    """
    return _openmmlab_backbone(checkpoint, 'mmaction2', final_norm,
                               mmaction_reference)


def to_timm(checkpoint: dict) -> dict:
    """An image student as an official-MAE/timm encoder (mmselfsup's
    ``mmcls2timm``), the file ViTDet reads.

    Returns:
        dict: ``{'model': {timm keys}}``.
    """
    backbone, depth = _student(checkpoint, 'mmpretrain', 'timm')
    reference = timm_reference(backbone, depth)
    return dict(model=check_complete(mmpretrain_to_timm(backbone), reference, 'timm'))


def to_mmseg(checkpoint: dict) -> dict:
    """An image student as MMSegmentation ``MAE`` (BEiT-style) backbone
    weights: mmpretrain's keys without prefix and without the final norm
    (the segmentation ViT has none). Its layer scales (``gamma_1/2`` at
    ``init_values=1``) and relative position tables start fresh, as for
    MAE's own ADE20K transfer.

    Returns:
        dict: ``{'meta': ..., 'state_dict': {...}}`` for
        ``init_cfg=dict(type='Pretrained', checkpoint=...)`` (no prefix).
    """
    backbone, depth = _student(checkpoint, 'mmpretrain', 'mmseg')
    reference = {k: shape for k, shape in
                 mmpretrain_reference(backbone, 'ln2', depth).items()
                 if not k.startswith('ln2.')}
    return dict(meta=dict(converted_to='mmseg'),
                state_dict=check_complete(backbone, reference, 'mmseg'))


TO = dict(mmpretrain=to_mmpretrain, mmaction2=to_mmaction2, timm=to_timm, mmseg=to_mmseg)


def export_file(src: str, dst: str, to: str = 'mmpretrain', **kwargs) -> str:
    """Read the checkpoint ``src``, convert it with ``TO[to]`` (keyword
    arguments such as ``final_norm`` passed on) and write it to ``dst``.

    Example (the student of a pre-training run, for mmpretrain's fine-tune
    ViT)::

        export_file('work_dirs/amd/iter_1000.pth', 'student_backbone.pth')

    Returns:
        str: ``dst``.
    """
    if to not in TO:
        raise ValueError(f'unknown export target {to!r}; one of {sorted(TO)}')
    return save_checkpoint(TO[to](load_checkpoint(src), **kwargs), dst)
