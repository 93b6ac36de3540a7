"""timm ViTs as teachers, built by timm and loaded from a local file."""
import os.path as osp
import sys
from typing import Optional, Sequence

import torch

from ...converters.checks import CheckpointMismatchError, check_state_dict, shapes_of
from ...extras import require
from ...registry import MODELS
from ..backbones.masked_encoder import TokenGeometry
from .base import BaseTeacher, local_checkpoint


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


@MODELS.register_module()
class TimmTeacher(BaseTeacher):
    """A timm ViT as the teacher (:class:`BaseTeacher`): ``vit_*``, DeiT
    (with its distillation token), DINOv2 (``*_dinov2``, with registers),
    CLIP and SigLIP image towers (``vit_*_clip_*``, ``vit_*_siglip_*``) as
    timm's ``VisionTransformer`` defines them, and EVA (``eva*``, timm's
    ``Eva``).

    The model is timm's own (``timm.create_model(name, pretrained=False)``);
    the weights come from a local ``.pth``/``.bin``/``.safetensors`` file,
    read by timm's ``load_state_dict``, converted by the model's own
    ``checkpoint_filter_fn`` (official OpenAI CLIP, DINOv2, DeiT and big_vision
    layouts; position tables resampled to the model's size) and then loaded
    strictly: a missing, unexpected or wrongly sized tensor raises, naming the
    keys. Nothing is downloaded.

    On a token subset it runs timm's ``patch_embed`` and ``_pos_embed`` (CLS,
    registers, position), keeps the teacher-visible patch tokens, then timm's
    ``norm_pre`` and ``blocks``. A model with rotary position (EVA-02) needs
    ``token_subset=False``. Its position table is resampled by timm's
    ``set_input_size`` when the student's grid differs from its own.

    Needs the ``teachers`` extra: ``pip install "amd-mm[teachers]"``.

    Args:
        model_name (str): a timm model name, e.g.
            ``'vit_base_patch16_clip_224'``, ``'vit_large_patch14_dinov2'``.
        feature_blocks (Sequence[int]): blocks to return, numbered from 1
            (0 = the embedded input).
        checkpoint (str | dict, optional): the local weights file, or
            ``dict(path=..., sha256=...)`` to have its SHA-256 verified at
            build; None keeps timm's random initialisation (tests).
        model_kwargs (dict, optional): more ``create_model`` arguments
            (``img_size``, ``num_classes``, ...) so the model matches the file.
        **kwargs: ``token_subset``, ``final_norm``, ``mean``, ``std`` of
            :class:`BaseTeacher`.
    """

    def __init__(self,
                 model_name: str,
                 feature_blocks: Sequence[int],
                 checkpoint: Optional[str] = None,
                 model_kwargs: Optional[dict] = None,
                 init_cfg=None,
                 **kwargs):
        super().__init__(feature_blocks, init_cfg=init_cfg, **kwargs)
        require('timm', needed_by=f"model.teacher (TimmTeacher '{model_name}')")
        import timm
        from timm.models.eva import Eva
        from timm.models.vision_transformer import VisionTransformer
        self.model_name = model_name
        try:
            model = timm.create_model(model_name, pretrained=False, **(model_kwargs or {}))
        except RuntimeError as error:  # unknown name
            raise ValueError(f'teacher.model_name={model_name!r}: {error}') from error
        if not isinstance(model, (VisionTransformer, Eva)):
            raise ValueError(
                f'teacher.model_name={model_name!r} builds a timm {type(model).__name__}; '
                'TimmTeacher takes timm ViTs (VisionTransformer: vit_*, deit_*, *_dinov2, '
                '*_clip_*, *_siglip_*; Eva: eva*)')
        self.backbone = model
        self.is_eva = isinstance(model, Eva)
        self.checkpoint = checkpoint = local_checkpoint(checkpoint)
        if checkpoint is not None:
            self._load(checkpoint)
        if self.token_subset and self.is_eva and model.rope is not None:
            raise ValueError(f'teacher.model_name={model_name!r} uses rotary position (rope), '
                             'which is not added to the tokens: set teacher.token_subset=False')
        self._rope = None
        self._setup()

    def _load(self, path: str) -> None:
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'teacher.checkpoint={path!r} does not exist: give the local weights file of '
                f'{self.model_name} (.pth/.bin/.safetensors); nothing is downloaded')
        from timm.models import load_state_dict
        state_dict = load_state_dict(path)
        filter_fn = getattr(sys.modules[type(self.backbone).__module__],
                            'checkpoint_filter_fn', None)
        if filter_fn is not None:
            state_dict = filter_fn(state_dict, self.backbone)
        try:
            weights = check_state_dict(state_dict, shapes_of(self.backbone),
                                       f'teacher.checkpoint={path!r} for timm {self.model_name}',
                                       strict=True)
        except CheckpointMismatchError as error:
            raise CheckpointMismatchError(
                f'{error} (model_kwargs such as num_classes=0 or img_size make the model '
                'match the file)') from error
        self.backbone.load_state_dict(weights, strict=True)

    def describe(self) -> str:
        return f'timm {self.model_name}'

    @property
    def embed_dims(self) -> int:
        return int(self.backbone.embed_dim)

    @property
    def num_prefix_tokens(self) -> int:
        return int(self.backbone.num_prefix_tokens)

    @property
    def num_cls_tokens(self) -> int:
        return int(self.backbone.cls_token is not None)

    @property
    def geometry(self) -> TokenGeometry:
        embed = self.backbone.patch_embed
        patch = _pair(embed.patch_size)
        if patch[0] != patch[1]:
            raise ValueError(f'{self.describe()} has non-square patches {patch}')
        grid = tuple(int(g) for g in embed.grid_size)
        return TokenGeometry(grid, int(patch[0]), 1, tuple(g * patch[0] for g in grid),
                             self.num_prefix_tokens, int(embed.proj.in_channels))

    def default_norm(self):
        cfg = getattr(self.backbone, 'pretrained_cfg', None) or {}
        if 'mean' not in cfg:
            return None
        return (tuple(255. * m for m in cfg['mean']), tuple(255. * s for s in cfg['std']))

    def _set_grid(self, grid) -> None:
        if tuple(grid) != tuple(self.backbone.patch_embed.grid_size):
            patch = self.geometry.patch_size
            self.backbone.set_input_size(img_size=tuple(g * patch for g in grid))
            self.freeze()  # the resampled table is a new Parameter

    @property
    def _blocks(self):
        return self.backbone.blocks

    def _embed(self, inputs: torch.Tensor) -> torch.Tensor:
        tokens = self.backbone._pos_embed(self.backbone.patch_embed(inputs))
        if self.is_eva:
            tokens, self._rope = tokens
        return tokens

    def _pre_blocks(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.backbone.norm_pre(tokens)

    def _run_block(self, block, tokens: torch.Tensor) -> torch.Tensor:
        return block(tokens, rope=self._rope) if self.is_eva else block(tokens)

    def _final_norm(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.backbone.norm(tokens)
