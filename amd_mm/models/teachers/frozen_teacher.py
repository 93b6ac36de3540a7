"""amd_mm's own ViTs (``MaskedViT``, ``MaskedVideoViT``) as teachers."""
import copy
import os.path as osp
from typing import List, Optional, Sequence, Union

import torch

from ...converters.io import load_vit_checkpoint
from ...registry import MODELS
from ..backbones.masked_encoder import TokenGeometry
from .base import BaseTeacher, TeacherFeatures, local_checkpoint  # noqa: F401 (TeacherFeatures: import path kept)


@MODELS.register_module()
class FrozenTeacher(BaseTeacher):
    """An amd_mm ViT backbone as a teacher that is never trained (one
    implementation of :class:`BaseTeacher`).

    * Weights are loaded strictly when the teacher is built (mmpretrain or
      official MAE/VideoMAE format, renamed by the backbone class's
      ``checkpoint_converter``); a missing file or a checkpoint that does
      not fit raises at once, listing the keys. ``init_weights`` loads them
      again, so no model-level initialiser can leave the teacher random.
    * Runs on exactly the teacher-visible tokens (the student's visible ones,
      then the diff ones) and stops after its deepest requested block.
    * Its token grid must be the student's (its position table is fixed at
      ``img_size``/``num_frames``); with another patch size the input is
      resized to ``grid x patch_size``. It uses the student's normalisation
      unless ``mean``/``std`` are given.

    Official AMD/DMAE load their teacher non-strictly (a wrong prefix leaves it
    random with a printed warning) and DMAE runs all 24 blocks plus its
    decoder; amd_mm does neither.

    Args:
        backbone (dict): config of an amd_mm ViT (``MaskedViT`` or the video
            one), of any size.
        feature_blocks (Sequence[int]): 1-indexed blocks to return, e.g.
            ``(12, 24)``; 0 means the embedded input (dBOT's 0-block teacher).
        checkpoint (str | dict, optional): weights; None leaves the backbone
            at its own initialisation (dBOT's stage-0 random teacher). A
            ``dict(path=..., sha256=...)`` also has the file's SHA-256
            verified when the teacher is built (the shipped teachers'
            configs); a plain path given in its place drops the hash with it.
        **kwargs: ``token_subset``, ``final_norm``, ``mean``, ``std`` of
            :class:`BaseTeacher`.
    """

    def __init__(self,
                 backbone: dict,
                 feature_blocks: Sequence[int],
                 checkpoint: Optional[Union[str, dict]] = None,
                 init_cfg=None,
                 **kwargs):
        super().__init__(feature_blocks, init_cfg=init_cfg, **kwargs)
        self.backbone = MODELS.build(copy.deepcopy(backbone))
        self.grid_rank = len(self.backbone.geometry.grid)
        self._setup()
        checkpoint = self.checkpoint = local_checkpoint(checkpoint)
        if checkpoint is not None:
            if osp.isdir(checkpoint):
                raise IsADirectoryError(
                    f'`teacher.checkpoint` = {checkpoint!r} is a folder: give the '
                    'checkpoint file (.pth) inside it')
            if not osp.isfile(checkpoint):
                raise FileNotFoundError(
                    f'`teacher.checkpoint` = {checkpoint!r} does not exist')
            try:
                load_vit_checkpoint(self.backbone, checkpoint)
            except ValueError as error:  # CheckpointMismatchError / CheckpointReadError
                raise type(error)(f'model.teacher.checkpoint={checkpoint!r}: {error}') from error

    def check_feature_blocks(self, blocks, field: str = 'teacher.feature_blocks'):
        blocks = self.backbone.check_feature_blocks(blocks, field)
        if not blocks:
            raise ValueError(f'`{field}` is empty: a teacher must provide at least one feature')
        return blocks

    def describe(self) -> str:
        return f'the teacher backbone ({type(self.backbone).__name__})'

    @property
    def embed_dims(self) -> int:
        return self.backbone.embed_dims

    @property
    def num_prefix_tokens(self) -> int:
        return self.backbone.num_prefix_tokens

    @property
    def num_cls_tokens(self) -> int:
        return self.backbone.num_prefix_tokens

    @property
    def geometry(self) -> TokenGeometry:
        return self.backbone.geometry

    @property
    def _blocks(self):
        return self.backbone._blocks

    def _final_norm(self, tokens):
        return self.backbone._final_norm(tokens)

    def _set_grid(self, grid) -> None:
        own = self.backbone.geometry
        if tuple(own.grid) != tuple(grid):
            size = 'x'.join(str(g * own.patch_size) for g in grid[-2:])
            raise ValueError(
                f'the teacher backbone\'s {own.describe("teacher.backbone")} differs from '
                f'the student\'s token grid {tuple(grid)}: both must tokenise the input the '
                f'same way (set teacher.backbone.img_size={size}, or num_frames, so that its '
                'grid is the student\'s)')

    def init_weights(self):
        if self.checkpoint is not None:
            load_vit_checkpoint(self.backbone, self.checkpoint)
        else:
            self.backbone.init_weights()
        self._is_init = True

    def encode(self, inputs: torch.Tensor, index: Optional[torch.Tensor],
               blocks: Sequence[int], stop_early: bool = True) -> List[torch.Tensor]:
        features = self.backbone.forward_tokens(inputs, index, blocks,
                                                stop_early=stop_early).features
        if self.final_norm:
            depth = self.depth
            features = [self._final_norm(f) if b == depth else f
                        for f, b in zip(features, blocks)]
        return features
