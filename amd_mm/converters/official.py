"""Official releases -> amd_mm student/teacher weights.

Each importer returns ``{'state_dict': {'backbone.*': ...}}`` in the layout
of amd_mm's backbones, which serves three uses: ``model.teacher.checkpoint``
(``FrozenTeacher`` strips ``backbone.``), a student initialisation
(``load_from`` or ``init_cfg=Pretrained prefix='backbone.'``) and the
``--to`` exports. Only encoder weights are kept (decoders, mask tokens,
distillation projections and classifiers are foreign to a backbone) and the
result is checked like an export.

* MAE (``facebookresearch/mae``), DMAE (``UCSC-VLAA/DMAE``) and dBOT
  (``liuxingbin/dbot``) are MAE-code ViTs: ``{'model': timm keys}`` ->
  :class:`~amd_mm.models.MaskedViT` (mmpretrain layout, final norm ``ln2``).
* VideoMAE (``MCG-NJU/VideoMAE``) and AMD (``MCG-NJU/AMD``): ``{'model' or
  'module': 'encoder.*' or bare}`` -> :class:`~amd_mm.models.MaskedVideoViT`
  (MMAction2 layout, final norm ``fc_norm``); their fixed sinusoid position
  table is not saved, so it is recomputed for ``num_frames``/``img_size``.
"""
from .checks import (CheckpointMismatchError, check_complete,
                     mmaction_reference, mmpretrain_reference)
from .keys import (move_final_norm, official_encoder, timm_vit_to_mmpretrain,
                   videomae_to_mmaction)


def _wrap(weights, release):
    return dict(meta=dict(imported_from=release),
                state_dict={'backbone.' + k: v for k, v in weights.items()})


def _image(checkpoint: dict, release: str) -> dict:
    encoder = official_encoder(checkpoint)
    if 'norm.weight' not in encoder:  # global-pool fine-tunes keep it in fc_norm
        encoder = move_final_norm(encoder, 'norm')
    weights = move_final_norm(timm_vit_to_mmpretrain(encoder), 'ln2')
    reference = mmpretrain_reference(weights, 'ln2')
    return _wrap(check_complete(weights, reference, f'amd_mm MaskedViT (from {release})'),
                 release)


def _video(checkpoint: dict, release: str, num_frames: int, img_size: int) -> dict:
    from mmaction.models.backbones.vit_mae import get_sinusoid_encoding
    weights = videomae_to_mmaction(official_encoder(checkpoint))
    weights = move_final_norm(weights, 'fc_norm')
    projection = weights.get('patch_embed.projection.weight')
    if projection is None:
        raise CheckpointMismatchError(
            f'{release}: missing keys: [patch_embed.proj.weight] (no encoder found)')
    dims, _, tubelet, patch, _ = projection.shape
    tokens = (img_size // patch) ** 2 * (num_frames // tubelet)
    if 'pos_embed' not in weights:  # VideoMAE's table: a function of the sizes
        weights['pos_embed'] = get_sinusoid_encoding(tokens, dims)
    elif weights['pos_embed'].shape[1] != tokens:
        raise ValueError(f'{release}: the position table holds '
                         f'{weights["pos_embed"].shape[1]} tokens, not the '
                         f'{tokens} of {num_frames} frames of {img_size}px')
    reference = mmaction_reference(weights, 'fc_norm')
    return _wrap(check_complete(weights, reference,
                                f'amd_mm MaskedVideoViT (from {release})'), release)


def from_official_mae(checkpoint: dict) -> dict:
    """An official MAE release (pre-train, visualize or fine-tune)."""
    return _image(checkpoint, 'mae')


def from_official_dmae(checkpoint: dict) -> dict:
    """An official DMAE release: an MAE ViT whose file also holds the
    decoder and the distillation projection, both dropped."""
    return _image(checkpoint, 'dmae')


def from_official_dbot(checkpoint: dict) -> dict:
    """An official dBOT release: an MAE ViT whose file also holds the
    feature decoder (``decoder_*``), dropped."""
    return _image(checkpoint, 'dbot')


def from_official_videomae(checkpoint: dict, num_frames: int = 16,
                           img_size: int = 224) -> dict:
    """An official VideoMAE (v1/v2) release, pre-train or fine-tune."""
    return _video(checkpoint, 'videomae', num_frames, img_size)


def from_official_amd(checkpoint: dict, num_frames: int = 16,
                      img_size: int = 224) -> dict:
    """An official AMD release: VideoMAE's encoder keys; the projection
    heads, generators and pixel decoder of pre-training are dropped."""
    return _video(checkpoint, 'amd', num_frames, img_size)


FROM_OFFICIAL = dict(mae=from_official_mae, dmae=from_official_dmae,
                     dbot=from_official_dbot, videomae=from_official_videomae,
                     amd=from_official_amd)
