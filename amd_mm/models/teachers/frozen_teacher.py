"""A frozen, partially executed teacher ViT."""
import copy
import os.path as osp
from typing import List, NamedTuple, Optional, Sequence, Union

import torch
from mmengine.model import BaseModule

from ...registry import MODELS
from ..utils import TokenSplit
from ...converters.io import check_sha256, load_vit_checkpoint


class TeacherFeatures(NamedTuple):
    """One teacher block's output, split by who sees each token: ``prefix``
    (B, P, C), the CLS token (P = 0 without one); ``visible`` (B, n_vis, C) at
    the student-visible tokens; ``diff`` (B, n_diff, C) at the tokens only the
    teacher sees."""
    prefix: torch.Tensor
    visible: torch.Tensor
    diff: torch.Tensor


@MODELS.register_module()
class FrozenTeacher(BaseModule):
    """Wraps a ViT backbone as a teacher that is never trained.

    * Weights are loaded strictly when the teacher is built (mmpretrain or
      official MAE/VideoMAE format, renamed by the backbone class's
      ``checkpoint_converter``); a missing file or a checkpoint that does
      not fit raises at once, listing the keys. ``init_weights`` loads them
      again, so no model-level initialiser can leave the teacher random.
    * ``requires_grad=False`` everywhere (hence absent from the optimizer and
      invisible to DDP), always in eval mode, run under inference mode.
    * Runs on exactly the teacher-visible tokens (the student's visible ones,
      then the diff ones) and stops after its deepest requested block.

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
    """

    def __init__(self,
                 backbone: dict,
                 feature_blocks: Sequence[int],
                 checkpoint: Optional[Union[str, dict]] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.backbone = MODELS.build(copy.deepcopy(backbone))
        self.feature_blocks = self.backbone.check_feature_blocks(
            feature_blocks, 'teacher.feature_blocks')
        if not self.feature_blocks:
            raise ValueError('`teacher.feature_blocks` is empty: a teacher '
                             'must provide at least one feature')
        sha256 = None
        if isinstance(checkpoint, dict):  # dict(path=..., sha256=...)
            checkpoint, sha256 = checkpoint['path'], checkpoint.get('sha256')
        self.checkpoint = checkpoint
        if checkpoint is not None:
            if osp.isdir(checkpoint):
                raise IsADirectoryError(
                    f'`teacher.checkpoint` = {checkpoint!r} is a folder: give the '
                    'checkpoint file (.pth) inside it')
            if not osp.isfile(checkpoint):
                raise FileNotFoundError(
                    f'`teacher.checkpoint` = {checkpoint!r} does not exist')
            if sha256:
                check_sha256(checkpoint, sha256, 'model.teacher.checkpoint.path',
                             'model.teacher.checkpoint.sha256')
            try:
                load_vit_checkpoint(self.backbone, checkpoint)
            except ValueError as error:  # CheckpointMismatchError / CheckpointReadError
                raise type(error)(f'model.teacher.checkpoint={checkpoint!r}: {error}') from error
        self.freeze()

    def freeze(self):
        for param in self.parameters():
            param.requires_grad = False
        self.train(False)

    @property
    def embed_dims(self) -> int:
        return self.backbone.embed_dims

    def init_weights(self):
        if self.checkpoint is not None:
            load_vit_checkpoint(self.backbone, self.checkpoint)
        else:
            self.backbone.init_weights()
        self._is_init = True

    def train(self, mode: bool = True):
        """The teacher stays in eval mode whatever the runner asks."""
        return super().train(False)

    def forward(self, inputs: torch.Tensor, tokens: TokenSplit) -> List[TeacherFeatures]:
        """The features of each requested block at the teacher-visible tokens
        (the student's visible ones, then the diff ones), split into parts."""
        with torch.inference_mode():
            out = self.backbone.forward_tokens(
                inputs, tokens.teacher_visible, self.feature_blocks,
                stop_early=True)
        P, n_vis = self.backbone.num_prefix_tokens, tokens.num_visible
        # clone: leave inference mode so the targets can be saved for backward
        return [TeacherFeatures(*feature.clone().split([P, n_vis, tokens.num_diff], dim=1))
                for feature in out.features]
